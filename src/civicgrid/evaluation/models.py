"""Civilized-city evaluation (文明城市测评): a versioned indicator system, sampled field inspection with
evidence, rectification tasks for responsible units, material review, questionnaires, negative lists,
and the scores computed from them.

    Edition 测评体系版本 ─< Item 测评项目 ─< Content 测评内容 ─< Standard 测评标准 (points, method, site types, rule)
            ├─< GateRule 门槛规则 · NegativeItem 负面清单项
    SiteType 点位类型 ─< Site 点位 (street, cell, responsible unit)
    Round 测评轮次 (edition, seed, strata) ─< RoundSite 抽中点位 (inspector) ─< Observation 观测 ─< ObservationPhoto
            Observation (fail) ── RectificationTask 整改任务 (unit, deadline, evidence, re-inspection, case)
            ├─< MaterialSubmission 材料报送 (unit × standard, review score)
            ├─< NegativeIncident 负面清单事件
            └─< Questionnaire 问卷 ─< Question ; Questionnaire ─< Response (quota key, device key) ─< Answer

A published edition is frozen: its items, contents, standards, gates and negative items do not change
(services refuse, and the models refuse to save a row of a frozen edition); a new edition starts as a
copy. Points are Decimal with two places. Scores are computed (`scoring.py`), never typed in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Department
from civicgrid.core import immutable
from civicgrid.evaluation.errors import FrozenEdition
from civicgrid.grids.models import Cell, Street


class EditionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")  # frozen
    RETIRED = "retired", _("已停用")


class Method(models.TextChoices):
    FIELD = "field", _("实地考察")
    MATERIAL = "material", _("材料审核")
    QUESTIONNAIRE = "questionnaire", _("问卷调查")
    ONLINE = "online", _("网上调查")


class DeductionRule(models.TextChoices):
    PER_FAILURE = (
        "per_failure",
        _("按问题扣分（封顶）"),
    )  # `deduction` per failed observation, at most the points
    ALL_OR_NOTHING = "all_or_nothing", _("全有全无")  # any failure loses all the points
    PROPORTIONAL = (
        "proportional",
        _("按合格率"),
    )  # points × passed / observed (or the review/satisfaction rate)


class Edition(models.Model):
    """A version of the indicator system (测评体系): 100 basic points plus local features (特色指标)."""

    name = models.CharField(_("名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("状态"), max_length=10, choices=EditionStatus.choices, default=EditionStatus.DRAFT
    )
    copied_from = models.ForeignKey(
        "self", verbose_name=_("复制自"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("测评体系版本")
        verbose_name_plural = _("测评体系版本")
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def frozen(self) -> bool:
        return self.status != EditionStatus.DRAFT


class FrozenGuard(models.Model):
    """A row of an edition's indicator system: it refuses to be saved or deleted once its edition is
    published (the services refuse first, with the same error; this catches every other path but
    `QuerySet.update()`/raw SQL)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self._refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_frozen()
        return super().delete(*args, **kwargs)

    def owning_edition_id(self) -> int:
        raise NotImplementedError

    def _refuse_if_frozen(self) -> None:
        # Read the status from the database: an edition in memory may predate its publication.
        row = Edition.objects.filter(pk=self.owning_edition_id()).values_list("status", "name").first()
        if row is not None and row[0] != EditionStatus.DRAFT:
            raise FrozenEdition(row[1])


class Item(FrozenGuard):
    """A 测评项目 (公共秩序, 公共环境, 公共服务, …). `local` marks the feature items beyond the basic 100."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("编码"), max_length=20)
    name = models.CharField(_("名称"), max_length=100)
    local = models.BooleanField(_("特色指标"), default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("测评项目")
        verbose_name_plural = _("测评项目")
        ordering = ["edition_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["edition", "code"], name="eval_item_code_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def owning_edition_id(self) -> int:
        return self.edition_id


class Content(FrozenGuard):
    """A 测评内容 of an item."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="contents")
    code = models.CharField(_("编码"), max_length=30)
    name = models.CharField(_("名称"), max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("测评内容")
        verbose_name_plural = _("测评内容")
        ordering = ["item_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="eval_content_code_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def owning_edition_id(self) -> int:
        return self.item.edition_id


class Standard(FrozenGuard):
    """A 测评标准: what is checked, its points, how it is collected, where it applies and how it deducts.

    `site_types` (codes) say where a field standard is observed; `deduction` is the points lost per
    failed observation under PER_FAILURE (capped at `points`); `category` maps a failure to the case
    loop (a city component or matter) when the problem is one the city's departments fix."""

    content = models.ForeignKey(Content, on_delete=models.CASCADE, related_name="standards")
    code = models.CharField(_("编码"), max_length=40)
    text = models.TextField(_("测评标准"))
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    method = models.CharField(_("测评方法"), max_length=15, choices=Method.choices)
    site_types = models.JSONField(_("适用点位类型"), default=list, blank=True)
    rule = models.CharField(_("扣分规则"), max_length=15, choices=DeductionRule.choices)
    deduction = models.DecimalField(_("每处扣分"), max_digits=6, decimal_places=2, null=True, blank=True)
    category = models.ForeignKey(
        "taxonomy.Category",
        verbose_name=_("对应案件类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("测评标准")
        verbose_name_plural = _("测评标准")
        ordering = ["content_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["content", "code"], name="eval_standard_code_once"),
            models.CheckConstraint(condition=models.Q(points__gt=0), name="eval_standard_points_positive"),
        ]

    def __str__(self) -> str:
        return self.code

    def owning_edition_id(self) -> int:
        return self.content.item.edition_id


class GateRule(FrozenGuard):
    """A precondition (门槛): the item (or the whole edition when `item` is empty) must reach `min_rate`
    of its points, or the city does not pass whatever its total."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="gates")
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.CASCADE, related_name="gates")
    min_rate = models.DecimalField(_("最低得分率"), max_digits=5, decimal_places=4)
    description = models.CharField(_("说明"), max_length=200)

    class Meta:
        verbose_name = _("门槛规则")
        verbose_name_plural = _("门槛规则")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description

    def owning_edition_id(self) -> int:
        return self.edition_id


class NegativeItem(FrozenGuard):
    """A negative-list item (负面清单): a serious incident deducts `deduction` each, at most `cap` in all."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="negative_items")
    code = models.CharField(_("编码"), max_length=20)
    name = models.CharField(_("名称"), max_length=200)
    deduction = models.DecimalField(_("每起扣分"), max_digits=6, decimal_places=2)
    cap = models.DecimalField(_("扣分上限"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("负面清单项")
        verbose_name_plural = _("负面清单项")
        ordering = ["edition_id", "code"]
        constraints = [models.UniqueConstraint(fields=["edition", "code"], name="eval_negative_code_once")]

    def __str__(self) -> str:
        return self.name

    def owning_edition_id(self) -> int:
        return self.edition_id


class SiteType(models.Model):
    """点位类型: 主次干道, 背街小巷, 农贸市场, 公园广场, 居民小区, 公共服务窗口, 学校周边, 交通路口, 医院, 车站 …"""

    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        verbose_name = _("点位类型")
        verbose_name_plural = _("点位类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A place inspected (测评点位), with the unit responsible for it (责任单位)."""

    site_type = models.ForeignKey(
        SiteType, verbose_name=_("类型"), on_delete=models.PROTECT, related_name="sites"
    )
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))
    street = models.ForeignKey(Street, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    cell = models.ForeignKey(
        Cell, verbose_name=_("网格"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Department, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("测评点位")
        verbose_name_plural = _("测评点位")
        ordering = ["id"]
        indexes = [models.Index(fields=["site_type", "street"], name="eval_site_type_street_idx")]

    def __str__(self) -> str:
        return self.name


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("准备中")
    OPEN = "open", _("测评中")
    CLOSED = "closed", _("已结束")


class Round(models.Model):
    """A 测评轮次: an edition applied in a period to a sample of sites drawn at random (seeded, stratified
    by site type and street; `strata` is the configuration, e.g. {"per_type": {"market": 3, …}} or a
    share, and `draw` what was drawn, so the sample can be drawn again from its seed and checked)."""

    edition = models.ForeignKey(
        Edition, verbose_name=_("测评体系"), on_delete=models.PROTECT, related_name="rounds"
    )
    name = models.CharField(_("名称"), max_length=100)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    seed = models.BigIntegerField(_("随机种子"))
    strata = models.JSONField(_("抽样设置"), default=dict)
    draw = models.JSONField(_("抽样记录"), default=dict, blank=True)
    drawn_at = models.DateTimeField(_("抽样时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("测评轮次")
        verbose_name_plural = _("测评轮次")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class RoundSite(models.Model):
    """A site drawn into a round, and the inspector it is assigned to."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="sites")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visited_at = models.DateTimeField(_("考察时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("抽中点位")
        verbose_name_plural = _("抽中点位")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["round", "site"], name="eval_round_site_once")]

    def __str__(self) -> str:
        return f"{self.round} · {self.site}"


class Result(models.TextChoices):
    PASS = "pass", _("达标")
    FAIL = "fail", _("不达标")
    NOT_APPLICABLE = "na", _("不适用")


class Observation(models.Model):
    """One standard observed at one sampled site: the result, where and when, by whom. `client_uuid` is the
    phone's id of the draft, so a draft sent twice (weak network) is recorded once. A re-inspection of a
    failed standard is a new observation (`reinspects`) that supersedes it in the score. Append-only:
    every point of a score stays traceable to what was observed."""

    IMMUTABLE = immutable.Columns(maskable=("note",))

    round_site = models.ForeignKey(RoundSite, on_delete=models.PROTECT, related_name="observations")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="observations")
    result = models.CharField(_("结果"), max_length=4, choices=Result.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(_("距点位（米）"), null=True, blank=True)
    observed_at = models.DateTimeField(_("观测时间"))
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_uuid = models.UUIDField(unique=True, null=True, blank=True)
    reinspects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reinspection"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("观测记录")
        verbose_name_plural = _("观测记录")
        ordering = ["id"]
        indexes = [models.Index(fields=["round_site", "standard"], name="eval_obs_site_standard_idx")]

    def __str__(self) -> str:
        return f"{self.standard} {self.result}"


class ObservationPhoto(models.Model):
    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to="evaluation/observations/")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("观测照片")
        verbose_name_plural = _("观测照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.observation_id} #{self.pk}"


class TaskState(models.TextChoices):
    OPEN = "open", _("待整改")
    SUBMITTED = "submitted", _("待复查")  # evidence uploaded
    PASSED = "passed", _("复查通过")
    REOPENED = "reopened", _("复查未通过")  # back to the unit
    CLOSED = "closed", _("已关闭")  # its case closed, or an inspector closed it


class RectificationTask(models.Model):
    """整改任务: a failed observation for the site's responsible unit, due in working days; the unit uploads
    evidence; an inspector re-inspects. With a mapped category it may open a case, and closes with it."""

    observation = models.OneToOneField(Observation, on_delete=models.PROTECT, related_name="task")
    unit = models.ForeignKey(
        Department, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("状态"), max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    due_at = models.DateTimeField(_("整改期限"))
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("关联案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    evidence_note = models.CharField(_("整改说明"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("整改任务")
        verbose_name_plural = _("整改任务")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["unit", "state"], name="eval_task_unit_state_idx")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.observation}"


class TaskEvidence(models.Model):
    task = models.ForeignKey(RectificationTask, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("材料"), upload_to="evaluation/rectification/")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("整改材料")
        verbose_name_plural = _("整改材料")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task_id} #{self.pk}"


class MaterialState(models.TextChoices):
    SUBMITTED = "submitted", _("已报送")
    SCORED = "scored", _("已评分")
    RETURNED = "returned", _("退回补充")  # one re-submission allowed


class MaterialSubmission(models.Model):
    """材料报送: a responsible unit's documents for a material standard in a round; a reviewer scores it
    (0 … the standard's points) with a comment; one re-submission after a return."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="materials")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    attempt = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=10, choices=MaterialState.choices, default=MaterialState.SUBMITTED)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.CharField(_("评审意见"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("材料报送")
        verbose_name_plural = _("材料报送")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "standard", "unit", "attempt"], name="eval_material_attempt_once"
            ),
            models.CheckConstraint(condition=models.Q(attempt__lte=2), name="eval_material_one_resubmission"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.standard}"


class MaterialFile(models.Model):
    submission = models.ForeignKey(MaterialSubmission, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("文件"), upload_to="evaluation/materials/")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class NegativeIncident(models.Model):
    """A negative-list incident recorded in a round, with its evidence; it deducts per its item."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="incidents")
    item = models.ForeignKey(NegativeItem, on_delete=models.PROTECT, related_name="incidents")
    street = models.ForeignKey(Street, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField(_("发生日期"))
    description = models.CharField(_("情况说明"), max_length=500)
    evidence = models.FileField(_("佐证材料"), upload_to="evaluation/negative/", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("负面清单事件")
        verbose_name_plural = _("负面清单事件")
        ordering = ["-occurred_on", "id"]

    def __str__(self) -> str:
        return f"{self.item} {self.occurred_on}"


class Questionnaire(models.Model):
    """问卷 of a round: quotas per street and respondent group ({"<street code>": {"resident": 50, …}});
    answers feed the questionnaire standards their questions name."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="questionnaires")
    title = models.CharField(_("标题"), max_length=100)
    intro = models.TextField(_("说明"), blank=True)
    groups = models.JSONField(_("受访群体"), default=list)  # [{"code": "resident", "name": "居民"}, …]
    quotas = models.JSONField(_("配额"), default=dict)
    opens_at = models.DateTimeField(_("开放时间"))
    closes_at = models.DateTimeField(_("截止时间"))

    class Meta:
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """A question; `scale` questions (1–5 satisfaction) feed `standard` with their mean rate."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="questions")
    standard = models.ForeignKey(Standard, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(_("题目"), max_length=300)
    kind = models.CharField(_("题型"), max_length=10, default="scale")  # scale | choice | text
    choices = models.JSONField(_("选项"), default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("问卷题目")
        verbose_name_plural = _("问卷题目")
        ordering = ["questionnaire_id", "position", "id"]

    def __str__(self) -> str:
        return self.text


class Response(models.Model):
    """One anonymous answer sheet. `respondent_key` is a keyed hash of the phone or device (no personal data
    kept): one answer per key and questionnaire; `street`/`group` are the quota key."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="responses")
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="+")
    group = models.CharField(max_length=20)
    respondent_key = models.CharField(max_length=64)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("问卷答卷")
        verbose_name_plural = _("问卷答卷")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "respondent_key"], name="eval_one_answer_per_respondent"
            )
        ]
        indexes = [models.Index(fields=["questionnaire", "street", "group"], name="eval_response_quota_idx")]

    def __str__(self) -> str:
        return f"{self.questionnaire_id} #{self.pk}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.CharField(max_length=500)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="eval_answer_once")]

    def __str__(self) -> str:
        return f"{self.question_id}={self.value}"
