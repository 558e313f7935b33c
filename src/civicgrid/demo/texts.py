"""Citizen report texts for the demo city: what people really write, per category, for training and
for a held-out evaluation.

`report_text(category_kind, category_code, rng, style=…, split=…, case_kind=…, place=…)` composes a
text from building blocks: what people call the thing (synonyms), what is wrong with it, what it
causes, what they ask for, a place of the demo town (its roads, communities, schools, markets), a
time or a duration, a plea or a complaint about earlier calls, a particle; sometimes a neighbouring
concern (another category's problem in a second sentence), a typo of the kind people make
(井盖→井概, 垃圾→拉圾), no punctuation at all, or nothing specific (a small share of vague texts that
real cities also receive). The style follows the channel: a citizen's snapshot (`app`, `code_scan`),
a grid member's patrol note (`grid`), an operator's summary of a call (`hotline`: "市民来电反映：…，
诉求：…"), a letter to the mailbox (`mailbox`: greeting, background, request). Most texts are a
sentence or two; some are a few characters, a few are letters of 200–400 characters.

The eighteen categories people report most (`COMMON`) have hand-written blocks (`RICH`);
every other category of the GB/T taxonomy gets blocks made from its name and its major class, so
`CATEGORY_TEXTS` covers every category the demo uses.

Held-out split. Every list of building blocks is written once, with the blocks reserved for
evaluation marked by a leading "~": sentence frames (of every style and case kind), synonyms of the
thing, problem phrases, effects, pleas, times, letter greetings. `split="train"` composes only
unmarked blocks; `split="heldout"` always uses a reserved frame and a reserved problem phrase (and
draws the other slots from all blocks, reserved or not). A held-out text therefore contains wording
the training generator never produces: an evaluation on it measures generalisation to new
phrasings of the same domain, not memorisation (demo/tests/test_texts.py checks that the two
splits share no text and measures how many character 4-grams are new).

Deterministic: the text depends only on the arguments and the state of `rng`.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace

from civicgrid.demo.city import MAJOR_ROUTES, STREET_MATTER_MAJORS, STREETS, department_for
from civicgrid.demo.town import EAST_WEST, LANES, NORTH_SOUTH, PLACES, SECONDARY

SPLITS = ("train", "heldout")
STYLES = ("app", "grid", "hotline", "mailbox")
STREET_OFFICE = "JD"  # the label of a matter the street office of its place handles (属地街道)
HELD = "~"  # marks a building block reserved for the held-out split


# The matters and components people report most, with relative weights and a sample text (the texts
# of the demo's cases come from the building blocks below; each of these has hand-written ones).
COMMON = [
    ("matter", "06010", 14, "小区门口有暴露垃圾，气味很大"),
    ("matter", "06042", 10, "垃圾箱满溢，垃圾散落一地"),
    ("matter", "06013", 9, "人行道地砖破损，容易绊倒"),
    ("matter", "09006", 9, "早市摊贩占道经营，影响通行"),
    ("matter", "09009", 8, "机动车长期占用人行道停放"),
    ("matter", "09010", 6, "共享单车、电动车乱停乱放"),
    ("matter", "07001", 6, "电线杆上贴满非法小广告"),
    ("matter", "06028", 4, "夜间噪声扰民，影响休息"),
    ("matter", "06027", 3, "餐馆油烟直排，楼上住户受影响"),
    ("matter", "08004", 3, "工地扬尘严重，未覆盖"),
    ("matter", "10001", 3, "道路积雪结冰，行人易滑倒"),
    ("matter", "06001", 2, "小区绿地内有人私搭乱建"),
    ("component", "01003", 5, "雨水井盖缺失，存在安全隐患"),
    ("component", "01001", 3, "供水井盖破损下沉"),
    ("component", "01050", 3, "路灯不亮，夜间行走不便"),
    ("component", "04002", 3, "行道树倒伏，枝条挡住人行道"),
    ("component", "03001", 2, "公共厕所卫生差，洗手池损坏"),
    ("component", "02014", 2, "交通标志牌被撞歪"),
]

# --- building blocks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocks:
    """One category's blocks of one split."""

    things: tuple[str, ...]
    problems: tuple[str, ...]
    effects: tuple[str, ...]
    asks: tuple[str, ...]


def _parts(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """ "a|~b|c" → (train blocks, reserved blocks)."""
    items = [s.strip() for s in text.split("|") if s.strip()]
    return (
        tuple(s for s in items if not s.startswith(HELD)),
        tuple(s[1:] for s in items if s.startswith(HELD)),
    )


@dataclass(frozen=True)
class Spec:
    """A category's blocks as written: "|"-separated, reserved ones marked with "~"."""

    things: str
    problems: str
    effects: str
    asks: str = ""
    near: str = ""  # categories people confuse it with, "kind:code" separated by spaces

    def blocks(self, split: str) -> Blocks:
        out = []
        for text in (self.things, self.problems, self.effects, self.asks):
            train, held = _parts(text)
            # The held-out split always uses a reserved problem; its other slots draw from all blocks.
            out.append(train if split == "train" else train + held)
        if split == "heldout":
            out[1] = _parts(self.problems)[1]
        return Blocks(*out)

    def neighbours(self) -> list[tuple[str, str]]:
        return [tuple(n.split(":")) for n in self.near.split()]  # type: ignore[misc]


# The categories people report most: hand-written blocks, many synonyms and phrasings each.
RICH: dict[tuple[str, str], Spec] = {
    ("matter", "06010"): Spec(
        things="垃圾|生活垃圾|一堆垃圾|好几袋垃圾|垃圾袋|剩饭剩菜和垃圾|破纸箱和塑料袋|~烂菜叶和塑料瓶|~外卖盒子|~成堆的垃圾袋",
        problems="堆在路边没人清理|扔得满地都是|堆了好几天没人收|就那么露天放着|堆在小区门口|被野狗翻得到处都是|一直没人拉走|"
        "堆在绿化带里|从早到晚没人管|扔在楼道口|~在墙角堆成了小山|~被风吹得满街跑|~都快堵住路口了|~天天有人往这儿扔",
        effects="气味很大|臭气熏天|招苍蝇蚊子|路过都得捂鼻子|夏天味道特别大|影响小区形象|孩子们在旁边玩很不卫生|"
        "~窗户都不敢开|~老鼠都出来了|~下雨以后污水横流",
        asks="尽快清运|派人来清理一下|安排环卫工人清理|以后定期清理|~把这堆垃圾拉走|~加强巡查",
        near="matter:06042 matter:06011 matter:06036 matter:06041",
    ),
    ("matter", "06042"): Spec(
        things="垃圾箱|垃圾桶|垃圾站|分类垃圾桶|小区的垃圾桶|路边垃圾箱|垃圾收集点|~果皮箱|~垃圾房|~四个分类桶",
        problems="满了没人清|满溢出来了|塞得盖子都盖不上|满了垃圾散落一地|装满了好几天没人倒|周围全是溢出来的垃圾|"
        "早上就已经满了|每天都是满的|~冒尖了还在往上堆|~里外都堆满了|~清运不及时又满了",
        effects="垃圾散落一地|臭味很大|污水流到路上|招苍蝇|居民扔垃圾都没地方扔|影响环境卫生|~野猫野狗翻得乱七八糟|~路过都是馊味",
        asks="增加清运次数|尽快清运|多放几个垃圾桶|按时清理|~调整收运时间|~把桶换成大的",
        near="matter:06010 component:03005 matter:06041",
    ),
    ("matter", "06013"): Spec(
        things="人行道地砖|人行道|路面|马路|步道砖|地砖|路边的砖|~路面砖|~辅路|~便道",
        problems="破损严重|坑坑洼洼|翘起来了|裂了好几块|碎了一大片|塌下去一块|出现一个大坑|松动了一踩就晃|"
        "坏了很久没人修|~凹凸不平|~缺了好几块砖|~鼓起来一大块",
        effects="容易绊倒|老人走路不方便|下雨天踩一脚泥水|晚上看不清容易摔跤|电动车经过颠得厉害|推婴儿车很费劲|"
        "~已经有人摔伤了|~车轮差点卡进去",
        asks="尽快修补|派人来修一修|把坑填上|重新铺一下|~先设个警示标志|~彻底翻修",
        near="matter:06050 matter:06049 matter:06051 component:01003",
    ),
    ("matter", "09006"): Spec(
        things="摊贩|早市摊贩|卖菜的小摊|流动摊点|水果摊|小商贩|卖早点的摊子|烧饼摊|~三轮车卖货的|~夜市摊位|~菜贩子",
        problems="占道经营|把人行道全占了|在路边摆摊|占着马路卖东西|把摊子摆到了路中间|天天在门口摆摊|"
        "摆得满街都是|~堵在路口叫卖|~沿街一字排开|~把盲道都占满了",
        effects="影响通行|行人只能走机动车道|早上上班堵得走不动|留下一地垃圾|车都过不去|吆喝声很吵|~学生上学很危险|~收摊后满地烂菜叶",
        asks="规范管理|清理一下|让他们进市场经营|加强管理|~划定固定摊位|~早晚高峰派人来管",
        near="matter:09005 matter:09002 matter:09001 matter:06010",
    ),
    ("matter", "09009"): Spec(
        things="机动车|私家车|小汽车|车辆|货车|面包车|几辆车|~私家车和出租车|~大货车|~外地牌照的车",
        problems="长期占用人行道停放|停在人行道上|乱停乱放|堵在小区门口|停在消防通道上|横七竖八地停|"
        "停在公交站台前面|在路边双排停车|~把盲道都压住了|~停得行人根本走不过去|~一停就是好几天",
        effects="影响通行|行人只能绕到马路上走|救护车都进不来|早晚高峰堵得厉害|孩子上学很不安全|~轮椅根本过不去|~出门都要侧着身子",
        asks="贴条处理|规范停车|加装隔离桩|派交警来管管|~增加停车位|~拖走长期不动的车",
        near="matter:09010 matter:09012 matter:06040 component:02001",
    ),
    ("matter", "09010"): Spec(
        things="共享单车|电动车|自行车|共享电单车|电瓶车|一排单车|小黄车|~各种颜色的单车|~外卖电动车|~快递三轮车",
        problems="乱停乱放|堆在人行道上|倒了一大片|停得到处都是|堵在地铁口|把盲道都占了|横七竖八地倒在路边|"
        "~停满了整个路口|~东倒西歪没人扶|~把公交站都挤满了",
        effects="影响通行|行人没法走|推着孩子过不去|看着太乱了|晚上容易撞上|~轮椅根本过不去|~早高峰乱成一团",
        asks="让运营公司来清理|规范停放|划个停车区|~加强管理|~多派人调度",
        near="matter:09009 matter:09011 component:02025",
    ),
    ("matter", "07001"): Spec(
        things="小广告|牛皮癣小广告|非法小广告|办证小广告|贷款广告|开锁广告|~通下水道的广告|~喷涂的电话号码",
        problems="贴满了电线杆|贴得墙上到处都是|刷在楼道墙上|清了又贴|贴满了单元门|喷在人行道上|~贴满了公交站牌|~一层压一层撕不干净",
        effects="影响市容|看着很脏|小区墙面脏兮兮的|很难看|~破坏城市形象|~老人容易上当受骗",
        asks="清理一下|查处张贴的人|按号码追查|~停机处理|~定期清理",
        near="matter:07002 matter:07003 component:03006 matter:06004",
    ),
    ("matter", "06028"): Spec(
        things="噪音|噪声|广场舞音响|酒吧的音乐|KTV|商铺的大喇叭|装修噪音|~烧烤摊吵闹声|~楼下店铺的音箱",
        problems="扰民|吵得睡不着|晚上十一点还在响|每天晚上都很吵|声音特别大|从早到晚不停|半夜还开着|"
        "~吵到凌晨两三点|~隔着双层玻璃都能听到",
        effects="影响休息|老人孩子睡不好觉|第二天上班没精神|家里孩子要高考|心脏都受不了|~神经衰弱了|~整栋楼都有意见",
        asks="管一管|让他们把音量调小|限定时间|查处一下|~晚上十点以后禁止|~上门劝导",
        near="matter:08001 matter:06029 matter:06027",
    ),
    ("matter", "06027"): Spec(
        things="油烟|餐馆油烟|饭店的油烟|烧烤店油烟|楼下饭店|火锅店的排烟|~小吃店的烟|~后厨排风口",
        problems="直排|直接往外排|没装净化器|排到居民楼里|熏得满楼道都是|呛得人受不了|~顺着窗户往家里灌|~从早到晚往外冒",
        effects="楼上住户受影响|窗户都不敢开|衣服晾不了|家里全是油烟味|墙面熏黑了|~孩子一直咳嗽|~阳台上一层油",
        asks="督促安装油烟净化设施|查处一下|让饭店整改|~定期检测|~把排烟口改到楼顶",
        near="matter:06029 matter:06028 matter:09015",
    ),
    ("matter", "08004"): Spec(
        things="工地|施工工地|建筑工地|拆迁工地|工地的土堆|渣土|~工地里的沙石料|~搅拌站",
        problems="扬尘严重|没有覆盖|尘土飞扬|没有洒水降尘|裸土没盖防尘网|一刮风满天灰|~车辆进出带起大片灰尘|~黄土漫天",
        effects="家里窗台一层灰|呼吸都难受|衣服都不敢晾|路过满身是土|~孩子咳嗽不止|~车上全是泥点",
        asks="督促工地覆盖|洒水降尘|查处一下|~停工整改|~加强监管",
        near="matter:08012 matter:08005 matter:06014 matter:08001",
    ),
    ("matter", "10001"): Spec(
        things="路面积雪|积雪|路面结冰|冰|人行道上的雪|台阶上的冰|~冰溜子|~压实的雪",
        problems="没人清扫|结成了冰|化了又冻上了|好几天没人铲|厚厚一层|越压越滑|~成了溜冰场|~只扫了一半",
        effects="行人易滑倒|老人不敢出门|已经有人摔倒了|车辆打滑|孩子上学很危险|~骑车的摔了好几个",
        asks="尽快清雪除冰|撒点融雪剂|派人来铲一下|~组织人清理|~放点防滑沙",
        near="matter:06012 matter:06013 component:01003",
    ),
    ("matter", "06001"): Spec(
        things="违建|彩钢房|棚子|临建房|小房子|一层简易房|~阳台外扩|~铁皮棚",
        problems="在绿地上私搭乱建|私自搭了起来|占了公共绿地|盖在小区空地上|在楼顶搭建|越盖越大|~圈了一大块地|~一夜之间就立起来了",
        effects="破坏绿地|影响采光|存在安全隐患|邻居意见很大|~挡住了消防通道|~看着很不美观",
        asks="依法拆除|查处一下|恢复绿地|~派执法人员来看看|~责令整改",
        near="matter:06045 matter:08016 matter:06036",
    ),
    ("component", "01003"): Spec(
        things="雨水井盖|井盖|下水井盖|路中间的井盖|马路上的井盖|雨水井|~井口盖板|~排水井盖",
        problems="缺失了|不见了|被偷了|破了一个洞|松动了一踩就翻|碎了|下沉了|~整个没了只剩个窟窿|~被车压裂了",
        effects="存在安全隐患|晚上看不见容易掉下去|孩子掉下去怎么办|车辆经过很危险|~差点把人绊倒|~只拿个树枝插着",
        asks="尽快补上|设个警示标志|马上更换|~先围起来|~排查一下附近的井盖",
        near="component:01001 component:01004 matter:06013",
    ),
    ("component", "01001"): Spec(
        things="供水井盖|自来水井盖|水表井盖|阀门井盖|~供水阀门井|~消防栓旁边的井盖",
        problems="破损下沉|塌下去了|歪了|坑坑洼洼|松动响得厉害|碎成了几块|~跟路面有好几公分落差|~边上全裂开了",
        effects="车一过就哐当响|容易崴脚|存在安全隐患|晚上吵得睡不着|~电动车都差点摔了",
        asks="尽快维修|让自来水公司来修|更换新的井盖|~调平一下",
        near="component:01003 component:01002 matter:06013",
    ),
    ("component", "01050"): Spec(
        things="路灯|一排路灯|小区路灯|路边的灯|灯杆上的灯|~景观灯|~巷子口那盏灯",
        problems="不亮|坏了|一直闪|晚上黑漆漆的|一半不亮|白天亮晚上不亮|好几盏都灭了|~时亮时不亮|~灯罩掉了",
        effects="夜间行走不便|晚上不敢出门|老人走路看不清|孩子晚上放学很害怕|存在安全隐患|~前几天还有人摔了",
        asks="尽快维修|派人来修一修|换个灯泡|~排查一下整条路|~加装几盏灯",
        near="component:01037 component:01060 component:02014",
    ),
    ("component", "04002"): Spec(
        things="行道树|路边的树|大树|树枝|杨树|一棵柳树|~老槐树|~枯树枝",
        problems="倒伏了|倒在路上|被风刮断了|枝条挡住了人行道|歪在一边|快倒了|枯死了|~断枝悬在半空|~根都翘起来了",
        effects="挡住了路|存在安全隐患|砸到车就麻烦了|行人只能绕着走|~电线都被压着了|~孩子们上学要经过",
        asks="尽快清理|修剪一下|扶正加固|~把枯树砍了补种|~派园林的人来看看",
        near="component:04003 matter:06018 component:04004",
    ),
    ("component", "03001"): Spec(
        things="公共厕所|公厕|厕所|旱厕|路边的公厕|~公园里的厕所|~移动厕所",
        problems="卫生差|洗手池损坏|没人打扫|臭得进不去|水龙头坏了|门锁坏了|冲水不好使|地上全是水|~灯也不亮|~一直锁着门",
        effects="没法用|臭味飘得很远|老人孩子不方便|游客意见很大|~群众只能到处找厕所",
        asks="加强保洁|尽快维修|安排专人管理|~延长开放时间",
        near="component:03002 matter:06010 component:03003",
    ),
    ("component", "02014"): Spec(
        things="交通标志牌|指示牌|限速牌|路牌|禁停标志|~导向牌|~让行标志",
        problems="被撞歪了|倒在地上|被树挡住了|看不清了|掉了一半|转了方向|~锈得字都掉了|~被车刮断了",
        effects="司机看不到|容易走错路|存在安全隐患|外地车总是违章|~晚上差点撞上",
        asks="扶正一下|尽快修复|更换新的|~修剪挡住的树枝",
        near="component:02015 component:02012 component:02010",
    ),
    # Less frequent, but the neighbours of the common ones: written by hand too.
    ("matter", "06012"): Spec(
        things="路面|马路|街道|人行道上|路边|~辅路路面|~小巷子里",
        problems="脏得不行|全是泥土和落叶|好几天没人扫|到处是烟头纸屑|有一大片油污|~黑乎乎一层泥|~全是碎玻璃渣",
        effects="影响市容|走路鞋都脏了|下雨就是泥汤|~车一过尘土飞扬",
        asks="安排清扫|派环卫工人来扫一扫|冲洗一下路面|~加强保洁",
        near="matter:06010 matter:06014 matter:06011",
    ),
    ("matter", "06029"): Spec(
        things="烧烤摊|露天烧烤|路边烧烤|夜市烧烤|~撸串的摊子|~烤肉摊",
        problems="在路边露天经营|天天晚上烟熏火燎|摆到了人行道上|开到后半夜|~炭火直接摆在楼下|~喝酒划拳到凌晨",
        effects="烟味呛人|窗户都不敢开|吵得睡不着觉|满地竹签和啤酒瓶|~衣服上全是烟味",
        asks="依法取缔|让他们进店经营|查处一下|~晚上派人来巡查",
        near="matter:06027 matter:06028 matter:09006",
    ),
    ("matter", "09005"): Spec(
        things="商铺|门店|超市|水果店|饭馆|五金店|~手机店|~服装店",
        problems="把货摆到了门外|店外经营|在门口人行道上摆摊|占用门前通道经营|桌椅摆到了路上|~把货架推到了店外|~门口堆满了货",
        effects="行人没法走|影响通行|看着很乱|~推车都过不去",
        asks="督促整改|规范经营|清理一下|~依法处理",
        near="matter:09006 matter:06036 matter:09001",
    ),
    ("matter", "08001"): Spec(
        things="工地|施工队|附近的工地|夜间施工|装修队|~打桩机|~搅拌车",
        problems="半夜还在施工|凌晨还在干活|噪音特别大|早上五点就开工|机器声响个不停|~连着好几个晚上加班干|~周末也不停工",
        effects="吵得睡不着|影响休息|孩子没法写作业|老人心脏受不了|~整栋楼都被吵醒",
        asks="查一查有没有夜间施工许可|让他们停止夜间施工|依法处理|~按规定时间施工",
        near="matter:06028 matter:08004 matter:08002",
    ),
    ("matter", "06036"): Spec(
        things="杂物|旧家具|破沙发|纸箱子|建筑材料|废旧自行车|~花盆和木板|~一堆旧床垫",
        problems="堆在楼道里|乱堆在路边|堆满了消防通道|在小区空地上堆了一大片|一直没人清理|~把单元门口都堵上了|~越堆越多",
        effects="存在消防隐患|走路都得侧着身子|招老鼠|影响环境|~万一着火跑都跑不出去",
        asks="清理一下|督促物业清理|依法处理|~限期清走",
        near="matter:06010 matter:06035 matter:09012",
    ),
    ("matter", "06040"): Spec(
        things="地锁|阻车桩|私人车位锁|石墩子|~铁桩|~自己焊的挡车杆",
        problems="私自安装在公共车位上|把公共停车位占了|装在路边|~一个挨一个装满了|~把消防通道也挡了",
        effects="别人没法停车|行人容易绊倒|邻里矛盾很大|~晚上看不见容易撞上",
        asks="拆除|依法处理|查处一下|~还公共车位给大家",
        near="matter:09009 matter:09012",
    ),
    ("matter", "09012"): Spec(
        things="消防通道|消防车道|楼下的消防通道|~小区消防通道",
        problems="被车辆占用|停满了私家车|堆满了杂物|被地锁拦住了|~被人用栏杆封住了|~一直被车堵着",
        effects="万一着火消防车进不来|存在重大安全隐患|~救护车都进不来",
        asks="清理|贴条处理|督促物业管理|~立即整改",
        near="matter:09009 matter:06036 matter:06040",
    ),
    ("component", "01004"): Spec(
        things="雨水箅子|下水道箅子|路边排水口|雨水口|~马路边的铁箅子|~排水篦子",
        problems="堵住了|被垃圾堵死了|缺了一块|断了|塌下去了|~一下雨就冒水|~被落叶糊满了",
        effects="一下雨就积水|车轮容易卡进去|存在安全隐患|~积水没过脚脖子",
        asks="清掏一下|尽快修复|更换新的|~雨季前疏通",
        near="component:01003 matter:06013 component:01002",
    ),
    ("component", "03005"): Spec(
        things="垃圾箱|路边的垃圾桶|果皮箱|分类垃圾箱|~垃圾桶盖子|~公园里的垃圾箱",
        problems="坏了|被撞翻了|盖子没了|桶底漏了|被人偷走了|~烂得不成样子|~锈穿了",
        effects="垃圾没地方扔|污水漏一地|影响市容|~味道很大",
        asks="更换新的|维修一下|补放一个|~多设几个",
        near="matter:06042 matter:06010",
    ),
    ("component", "02017"): Spec(
        things="交通护栏|道路护栏|隔离栏|中间的护栏|~马路中间的铁栏杆|~人行道护栏",
        problems="被撞倒了|断了一截|歪倒在路上|被人拆开了一个口子|~锈断了|~倒了好几米",
        effects="行人乱穿马路很危险|存在安全隐患|车辆经过要绕行|~晚上看不清容易撞上",
        asks="尽快修复|扶正固定|更换一下|~把缺口补上",
        near="component:02014 component:02015 matter:06013",
    ),
}


# Generic blocks by major class, for categories without hand-written ones.
MAJOR_PROBLEMS = {
    "01": "损坏了|缺失了|松动了|被撞坏了|锈蚀严重|歪倒了|有破损|坏了好久没人修|~出了故障|~裂开了|~掉了一块|~晃得厉害",
    "02": "损坏了|被撞歪了|看不清了|倒了|缺失了|坏了|~不好使了|~断了|~被人拆走了",
    "03": "坏了|又脏又破|没人维护|损坏严重|~脏得不像样|~破了个大口子",
    "04": "损坏了|被破坏了|缺了一块|没人管护|~被人踩坏了|~倒了一片",
    "05": "损坏了|坏了没人修|~出了问题",
    "06": "的问题很严重|的情况一直存在|现象比较突出|的问题没人管|~问题反复出现|~的情况越来越多",
    "07": "的问题很严重|到处都是|~屡禁不止",
    "08": "的问题很严重|的情况一直存在|没人管|~问题反复出现|~一直没有整改",
    "09": "的问题很严重|现象很突出|天天都有|~屡禁不止|~管了又来",
    "10": "的情况很危险|没人处理|~一直没人管",
}
MAJOR_EFFECTS = {
    "01": "存在安全隐患|影响正常使用|附近居民很不方便|~差点出事",
    "02": "影响交通安全|行人车辆都不方便|存在安全隐患|~已经有车刮蹭了",
    "03": "影响环境卫生|群众意见很大|~路过的人都皱眉",
    "04": "影响绿化景观|存在安全隐患|~孩子们玩的时候很危险",
    "05": "影响正常使用|~附近居民很不方便",
    "06": "影响市容环境|居民意见很大|~周边群众反映强烈",
    "07": "影响市容|看着很乱|~破坏城市形象",
    "08": "影响周边居民生活|存在安全隐患|~噪音粉尘都很大",
    "09": "影响通行|扰乱街面秩序|~周边居民意见很大",
    "10": "存在安全隐患|随时可能出事|~行人车辆都很危险",
}

PLEAS = (
    "希望尽快处理|请相关部门管一管|麻烦尽快派人来看看|希望有关部门重视|请尽快解决|希望早点解决|麻烦处理一下|"
    "请领导重视一下|希望相关部门尽快解决|~盼早日解决|~恳请相关单位过问一下|~拜托快点处理吧"
)
EMOTIONS = "太影响生活了|真的受不了了|大家意见都很大|实在没办法了|心里很着急|~这样下去怎么行|~真是闹心|~住户们都快疯了"
COMPLAINTS = (
    "打了好几次电话都没人管|反映过好几次了还是老样子|物业说不归他们管|之前反映过一直没解决|~12345也打过了一直没下文|"
    "~物业和社区互相推|~上个月就报过了"
)
TIMES = (
    "昨晚十点多|这几天|从上周开始|今天早上|最近一个月|每天晚上|今天下午|这两天|一早起来|最近|~前天下午|~大概半个月前开始|"
    "~周末两天|~今天中午"
)
DURATIONS = "好几天|一个多星期|快一个月|两三天|好长时间|一周多|~十来天|~半个多月|~小半年"
PARTICLES = ("", "", "", "", "啊", "呀", "！", "！！", "。。。", "哈", "吧", "啦")
HELP_REASONS = "家里有老人出行不方便|孩子每天都要从这里过|我腿脚不好|~家里有孕妇|~晚上下夜班回家必须经过"

# Sentence frames, per style and case kind. Slots: {place} {thing} {problem} {effect} {plea} {time}
# {duration} {complaint} {emotion} {ask} {community} {reason}.
FRAMES = {
    "app": "{place}{thing}{problem}|{place}{thing}{problem}，{effect}|{time}{place}{thing}{problem}，{effect}，{plea}|"
    "{thing}{problem}，{plea}|{place}的{thing}{problem}，{emotion}，{plea}|{time}路过{place}，发现{thing}{problem}，{effect}。{plea}|"
    "{place}{thing}{problem}{duration}了，{complaint}|{place}，{thing}{problem}，{effect}|{thing}{problem}|"
    "我家楼下{thing}{problem}，{effect}，{plea}|{place}{thing}{problem}，{complaint}，{plea}|"
    "~麻烦管一管，{place}那边{thing}{problem}，{effect}|~{effect}！因为{place}{thing}{problem}|"
    "~请问{place}{thing}{problem}到底有没有人管？{complaint}|~我住在{community}，{time}{thing}{problem}，{plea}|"
    "~反映一个情况：{thing}{problem}（{place}），{plea}|~{place}这块儿{thing}{problem}，{effect}，{emotion}|~又是{thing}{problem}，{place}",
    "grid": "巡查发现{place}{thing}{problem}|网格巡查：{place}{thing}{problem}，{effect}|{place}{thing}{problem}，已拍照上报|"
    "巡查中发现{thing}{problem}，位置：{place}|{place}{thing}{problem}，需{ask}|"
    "~日常走访发现{place}{thing}{problem}，建议{ask}|~【网格上报】{thing}{problem}，地点{place}|~走访中居民反映{place}{thing}{problem}",
    "hotline": "市民来电反映：{place}{thing}{problem}，{effect}。诉求：{ask}。|来电人反映：{time}{place}{thing}{problem}，{complaint}。诉求：{ask}。|"
    "市民来电称{place}{thing}{problem}{duration}了，{effect}，希望{ask}。|市民来电反映{place}{thing}{problem}，诉求：请相关部门{ask}。|"
    "~来电市民表示：{place}{thing}{problem}，{emotion}。来电人要求：{ask}。|~据来电人描述，{time}{place}{thing}{problem}，{effect}，要求{ask}。|"
    "~热线转办：{place}{thing}{problem}，{complaint}，来电人希望{ask}。",
    "help": "求助：{place}{thing}{problem}，{reason}，麻烦帮帮忙|{thing}{problem}，{reason}，请帮忙{ask}|"
    "能不能帮忙看看，{place}{thing}{problem}，{reason}|~急！{place}{thing}{problem}，{reason}，求帮助|~请帮个忙：{thing}{problem}，{reason}",
    "inquiry": "想咨询一下，{place}{thing}{problem}，这种情况归哪个部门管？|请问{thing}{problem}应该找谁？|"
    "咨询：{place}{thing}{problem}，多久能处理？|~问一下，{thing}{problem}该打哪个电话|~{place}{thing}{problem}，想了解一下有没有处理计划",
    "suggestion": "建议：{place}{thing}{problem}，建议{ask}|{place}{thing}{problem}，建议相关部门{ask}|"
    "~提个建议，{thing}{problem}的问题能不能{ask}",
    "tip_off": "举报：{place}{thing}{problem}|我要举报{place}{thing}{problem}，{effect}|~实名举报，{time}{place}{thing}{problem}",
}
# A letter (the mailbox, now and then a long call or post): greeting, background, the matter, request.
GREETINGS = "尊敬的领导：您好！|书记您好：|领导您好，|尊敬的书记：|~各位领导好：|~您好，打扰了。"
BACKGROUNDS = (
    "我是{community}的居民，在这里住了{years}年了。|我家住在{community}附近，每天上下班都要经过这里。|"
    "我是附近的一名退休职工，平时喜欢出来散步。|我是一名普通市民，家里有老人和孩子。|"
    "~本人是{community}的老住户，一直很关注小区的环境。|~我在{community}开了个小店，天天看着这个问题。"
)
LETTER_MATTERS = (
    "{time}，{place}{thing}{problem}，{effect}。|我发现{place}{thing}{problem}，{duration}了也没人处理。|"
    "~想向您反映一个困扰我们很久的问题：{place}{thing}{problem}，{effect}。"
)
LETTER_MORE = (
    "{emotion}。|我们也跟物业和社区反映过，{complaint}。|邻居们都很有意见，大家商量着给您写这封信。|"
    "特别是晚上，情况更加严重。|{effect}，尤其是老人和孩子。|这个问题已经有{duration}了，一直没有改善。|"
    "附近有学校和菜市场，来往的人特别多。|我们理解相关部门工作忙，但这个问题确实拖得太久了。|"
    "上次有工作人员来看过，说会处理，结果到现在也没动静。|希望能派人到现场实地看一看。|"
    "我们小区老年人多，出门买菜、接送孙子都要经过这里。|作为一名老百姓，我们也希望自己的城市越来越好。|"
    "~周围的邻居都在议论这件事，{emotion}。|~我拍了照片，情况确实比较严重。|~说实话，大家对这件事已经有些失望了。|"
    "~这条路是附近几个小区出入的必经之路。|~前段时间电视上还报道过类似的问题。"
)
HOTLINE_OPENINGS = "市民来电反映：|来电人反映：|市民来电称：|~来电市民表示：|~据来电人描述："
CLOSINGS = "恳请领导重视，{plea}。谢谢！|希望相关部门能够{ask}，还我们一个好环境。此致敬礼！|{plea}，盼复。|~盼望早日得到解决，万分感谢！"

# Vague texts that name no thing: real cities receive them too; the label stays the case's category.
VAGUE = (
    "{place}又脏又乱没人管|这个问题一直没人解决，{plea}|{place}环境太差了，{emotion}|门口的问题还是老样子|"
    "{place}有问题，{plea}|~{place}乱七八糟的，{complaint}|~还是上次那个问题，{plea}"
)

# Typos and homophones people type.
TYPOS = {
    "井盖": "井概",
    "垃圾": "拉圾",
    "路灯": "路登",
    "噪音": "燥音",
    "小区": "小去",
    "人行道": "人行到",
    "影响": "影向",
    "反映": "反应",
    "扬尘": "扬沉",
    "摊贩": "摊販",
    "共享单车": "共享单单车",
    "厕所": "侧所",
    "希望": "希往",
    "麻烦": "麻凡",
    "清理": "清里",
}

LANDMARKS = [name for _kind, names in PLACES for name in names]
COMMUNITIES = [c for _no, _name, _dept, communities in STREETS for c in communities]
ROADS = EAST_WEST + NORTH_SOUTH + SECONDARY


def address_text(rng: random.Random) -> str:
    """A place of the demo town as people write it: a road crossing, a road, a landmark, a community."""
    roll = rng.random()
    if roll < 0.25:
        return f"{rng.choice(EAST_WEST)}与{rng.choice(NORTH_SOUTH)}交叉口"
    if roll < 0.45:
        return f"{rng.choice(ROADS)}{rng.randrange(1, 300)}号"
    if roll < 0.65:
        return f"{rng.choice(LANDMARKS)}{rng.choice(('门口', '附近', '东侧', '西门', '对面', '旁边'))}"
    if roll < 0.85:
        return f"{rng.choice(COMMUNITIES)}{rng.randrange(1, 30)}号楼{rng.choice(('前', '后面', '楼下', ''))}"
    return f"{rng.choice(LANES)}{rng.choice(('口', '里', '中段'))}"


# --- the taxonomy -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryInfo:
    kind: str
    code: str
    major_code: str
    name: str


@cache
def taxonomy() -> dict[tuple[str, str], CategoryInfo]:
    """Every category of the GB/T taxonomy the demo loads (the file `civicgrid demo` imports)."""
    from civicgrid.taxonomy.choices import KIND_BY_LABEL
    from civicgrid.taxonomy.management.commands.load_categories import DEFAULT

    out = {}
    with DEFAULT.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            kind = KIND_BY_LABEL[row["kind"].strip()]
            info = CategoryInfo(str(kind), row["code"], row["major_code"], row["name"])
            out[(info.kind, info.code)] = info
    return out


def _generic_spec(info: CategoryInfo) -> Spec:
    name = info.name.removesuffix("异常")
    major = info.major_code
    if major in ("01", "02", "03", "04", "05"):  # a component, or the matter "<component>异常"
        things = f"{name}|这里的{name}|路边的{name}|~附近的{name}"
        problems = MAJOR_PROBLEMS[major]
    else:
        things = f"{name}|~{name}这种事"
        problems = MAJOR_PROBLEMS[major]
    asks = "尽快处理|派人来看看|依法处理|~彻底整治"
    return Spec(things=things, problems=problems, effects=MAJOR_EFFECTS[major], asks=asks)


def ensure(category) -> None:
    """Texts for a category the taxonomy file does not have (a local addition): from its name."""
    key = (str(category.kind), category.code)
    if key not in taxonomy():
        major = category.major_code if category.major_code in MAJOR_PROBLEMS else "05"
        taxonomy()[key] = CategoryInfo(key[0], category.code, major, category.name)


def spec_for(kind: str, code: str) -> Spec:
    """The blocks of a category: hand-written (`RICH`) or made from its name and major class."""
    spec = RICH.get((kind, code))
    if spec is not None:
        return spec
    info = taxonomy().get((kind, code))
    if info is None:
        raise KeyError(f"no texts for category {kind}:{code}")
    return _generic_spec(info)


# (kind, code) → "rich" (hand-written blocks) or "generic" (made from its name): every category covered.
CATEGORY_TEXTS: dict[tuple[str, str], str] = {key: "rich" if key in RICH else "generic" for key in taxonomy()}


def department_label(kind: str, code: str) -> str:
    """The department the demo city's routing rules give the category (demo/city.py): its code, or
    `STREET_OFFICE` ("JD") for a street-level matter that the street office of its place handles."""
    info = taxonomy()[(kind, code)]
    department = department_for(SimpleNamespace(name=info.name, major_code=info.major_code))
    if (
        info.kind == "matter"
        and info.major_code in STREET_MATTER_MAJORS
        and department == MAJOR_ROUTES[info.major_code]
    ):
        return STREET_OFFICE
    return department


# --- composing ----------------------------------------------------------------------------------------


@cache
def _frames(group: str, split: str) -> tuple[str, ...]:
    train, held = _parts(group)
    return train if split == "train" else held


@cache
def _slot(text: str, split: str) -> tuple[str, ...]:
    train, held = _parts(text)
    return train if split == "train" else train + held


@cache
def _blocks(kind: str, code: str, split: str) -> Blocks:
    return spec_for(kind, code).blocks(split)


class _Slots(dict):
    """Slot values drawn when a frame asks for them (so unused slots draw nothing)."""

    def __init__(self, rng: random.Random, blocks: Blocks, split: str, place: str | None) -> None:
        super().__init__()
        self.rng, self.b, self.split, self.place = rng, blocks, split, place

    def __missing__(self, key: str) -> str:
        rng, b, split = self.rng, self.b, self.split
        if key == "place":
            value = self.place or address_text(rng)
        elif key == "thing":
            value = rng.choice(b.things)
        elif key == "problem":
            value = rng.choice(b.problems)
        elif key == "effect":
            value = rng.choice(b.effects)
        elif key == "ask":
            value = rng.choice(b.asks) if b.asks else "尽快处理"
        elif key == "community":
            value = rng.choice(COMMUNITIES)
        elif key == "years":
            value = str(rng.randrange(2, 20))
        else:
            value = rng.choice(
                _slot(
                    {
                        "plea": PLEAS,
                        "emotion": EMOTIONS,
                        "complaint": COMPLAINTS,
                        "time": TIMES,
                        "duration": DURATIONS,
                        "reason": HELP_REASONS,
                    }[key],
                    split,
                )
            )
        self[key] = value
        return value


def _fill(frame: str, slots: _Slots) -> str:
    return frame.format_map(slots)


def _letter(rng: random.Random, slots: _Slots, split: str, style: str = "mailbox") -> str:
    """A letter of about 200–400 characters: greeting, background, the matter, more, request. A long
    call (`style` hotline) is summed up by the operator: the caller's words, then 诉求."""
    pick = _frames if split == "heldout" else _slot  # held out: a reserved opening
    if style == "hotline":
        parts = [rng.choice(pick(HOTLINE_OPENINGS, split)), _fill("来电人系{community}居民，", slots)]
        closing = _fill("。诉求：{ask}，并请回复处理结果。", slots)
    else:
        parts = [rng.choice(pick(GREETINGS, split)), _fill(rng.choice(pick(BACKGROUNDS, split)), slots)]
        closing = _fill(rng.choice(_slot(CLOSINGS, split)), slots)
    parts.append(_fill(rng.choice(_slot(LETTER_MATTERS, split)), slots))
    more = [m for m in _slot(LETTER_MORE, split) if style != "hotline" or "这封信" not in m]
    rng.shuffle(more)
    target = rng.randrange(200, 360)
    for sentence in more:
        if sum(map(len, parts)) + len(closing) >= target:
            break
        for key in ("effect", "emotion", "time", "duration"):  # a new sentence, new words
            slots.pop(key, None)
        parts.append(_fill(sentence, slots))
    if style == "hotline":
        parts[-1] = parts[-1].rstrip("。")
    parts.append(closing)
    text = "".join(parts)
    return text[:400]


def _neighbour(rng: random.Random, spec: Spec, split: str) -> str:
    """A second concern from a category people confuse this one with."""
    kind, code = rng.choice(spec.neighbours())
    other = _blocks(kind, code, split)
    joint = rng.choice(("另外，", "还有，", "顺便说一下，", "再就是", "同时"))
    problem = rng.choice(other.problems)
    also = "" if problem.startswith(("的", "现象")) else "也"  # "路缘石缺损的问题很严重"
    return f"{joint}{rng.choice(other.things)}{also}{problem}"


def report_text(
    category_kind: str,
    category_code: str,
    rng: random.Random,
    *,
    style: str = "app",
    split: str = "train",
    case_kind: str = "complaint",
    place: str | None = None,
    community: str | None = None,
) -> str:
    """A report text of the category (kind "matter"/"component", 5-digit GB/T code).

    `style`: "app" (a citizen's snapshot; also code_scan), "grid" (a grid member's note), "hotline"
    (an operator's summary of a call), "mailbox" (a letter); `case_kind`: complaint, help, inquiry,
    suggestion, tip_off (help, inquiry, suggestion and tip_off use their own frames for citizen texts);
    `split`: "train" or "heldout" (see the module docstring); `place`: the place to mention (else one
    of the demo town's is drawn); `community`: the community a resident says they live in. The same arguments and `rng` state give the same text."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    spec = spec_for(category_kind, category_code)
    blocks = _blocks(category_kind, category_code, split)
    slots = _Slots(rng, blocks, split, place)
    if community is not None:
        slots["community"] = community
    roll = rng.random()
    if style == "mailbox" or (style in ("app", "hotline") and roll < 0.03):
        text = _letter(rng, slots, split, style)
    elif style == "app" and roll > 0.97:  # vague: nothing about the thing itself
        text = _fill(rng.choice(_frames(VAGUE, split)), slots)
    else:
        group = style if style in ("grid", "hotline") else "app"
        if group == "app" and case_kind in FRAMES:
            group = case_kind
        text = _fill(rng.choice(_frames(FRAMES[group], split)), slots)
        if spec.near and rng.random() < 0.15:
            text = text.rstrip("。") + "。" + _neighbour(rng, spec, split)
        if style not in ("hotline", "grid") and not text.endswith(("？", "。")):
            text += rng.choice(PARTICLES)
    if style in ("app", "mailbox") and rng.random() < 0.06:  # a typo or a homophone
        found = [w for w in TYPOS if w in text]
        if found:
            word = rng.choice(found)
            text = text.replace(word, TYPOS[word], 1)
    if style == "app" and rng.random() < 0.06:  # typed without punctuation
        text = text.translate(str.maketrans("", "", "，。！？：、")).replace("  ", " ")
    if len(text) < 6:  # "路灯坏了": a few characters more
        text = f"{text}，{slots['plea']}"
    return text


def style_for(channel: str) -> str:
    """The style of text a channel brings (cases.choices.Channel values)."""
    return {"grid": "grid", "hotline": "hotline", "mailbox": "mailbox"}.get(channel, "app")


# --- label noise at intake ----------------------------------------------------------------------------


def intake_category(kind: str, code: str, rng: random.Random, *, share: float = 0.08) -> tuple[str, str]:
    """The category a citizen picks for a report of (kind, code): now and then (`share`) a neighbouring
    one, which the dispatcher corrects at 立案. Always draws one number (and one more when it errs)."""
    if rng.random() >= share:
        return kind, code
    near = neighbours(kind, code)
    return rng.choice(near) if near else (kind, code)


def neighbours(kind: str, code: str) -> list[tuple[str, str]]:
    """The categories people (and dispatchers) confuse (kind, code) with; [] for the generic ones."""
    spec = RICH.get((kind, code))
    return spec.neighbours() if spec is not None and spec.near else []


# --- labelled sets for the classifier -----------------------------------------------------------------


def weights(*, common_only: bool = False) -> list[tuple[tuple[str, str], float]]:
    """(kind, code) → weight of the demo's mix: the common matters ~90 %, every other category the rest.
    `common_only`: the categories of the demo's replayed history alone (`COMMON`)."""
    common = [((k, c), float(w)) for k, c, w, _t in COMMON]
    if common_only:
        return common
    known = {key for key, _w in common}
    tail = [key for key in taxonomy() if key not in known]
    total = sum(w for _k, w in common)
    return common + [(key, total / 9 / len(tail)) for key in tail]


def labelled(
    n: int,
    *,
    seed: int,
    split: str,
    label: str = "category",
    common_only: bool = False,
    style: str | None = None,
) -> list[tuple[str, str]]:
    """`n` (text, label) rows of the split in the demo's mix of categories, channels and kinds.
    `label`: "category" ("kind:code", as the classifier names categories) or "department" (the code of
    the department the demo's routing rules give; for a street-level matter the street office of the
    community the text names). `common_only`: only the categories the demo's history holds; `style`: texts
    of that style alone (e.g. "mailbox": letters)."""
    only_style = style
    if label not in ("category", "department"):
        raise ValueError("label must be category or department")
    rng = random.Random(f"{seed}:{split}")
    keys, w = zip(*weights(common_only=common_only), strict=True)
    styles, style_w = ("app", "grid", "hotline", "mailbox"), (55, 30, 10, 3)
    kinds, kind_w = ("complaint", "help", "tip_off", "suggestion", "inquiry"), (80, 10, 5, 3, 2)
    rows = []
    seen: set[str] = set()
    attempts = 0
    while len(rows) < n and attempts < n * 20:
        attempts += 1
        kind, code = rng.choices(keys, weights=w)[0]
        style = rng.choices(styles, weights=style_w)[0] if only_style is None else only_style
        case_kind = rng.choices(kinds, weights=kind_w)[0] if style == "app" else "complaint"
        value = category_label(kind, code) if label == "category" else department_label(kind, code)
        place = community = None
        if value == STREET_OFFICE:  # the street office of the place: a community of one of its streets
            _no, _name, value, communities = rng.choice(STREETS)
            community = rng.choice(communities)
            place = f"{community}{rng.randrange(1, 30)}号楼{rng.choice(('前', '后面', '楼下', '旁边'))}"
        text = report_text(
            kind, code, rng, style=style, split=split, case_kind=case_kind, place=place, community=community
        )
        if text in seen or (community is not None and community not in text):
            continue  # distinct texts; a street office's only where the text names the place
        seen.add(text)
        rows.append((text, value))
    return rows


def category_label(kind: str, code: str) -> str:
    """A category's label as the classifier names it: "matter:06010", "component:01003" (they share codes)."""
    return f"{kind}:{code}"
