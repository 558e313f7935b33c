"""What each check of a stored score says on the pages (translated), by its code and result."""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    ("relevance", True): _("答复针对所反映的问题"),
    ("relevance", False): _("答复与所反映的问题关联不大或过于简单"),
    ("result", True): _("已说明处理结果"),
    ("result", False): _("未说明处理结果"),
    ("time", True): _("已写明处理时间"),
    ("time", False): _("未写明处理时间"),
    ("place", True): _("已写明处理地点"),
    ("place", False): _("未写明处理地点"),
    ("contact", True): _("已留联系人或联系电话"),
    ("contact", False): _("未留联系人或联系电话"),
    ("parts", True): _("反映的多个问题均有答复"),
    ("parts", False): _("反映的多个问题中有未答复的"),
    ("legal_basis", True): _("已引用法律法规依据"),
    ("legal_basis", False): _("此类问题须写明执法依据"),
    ("on_time", True): _("在时限内答复"),
    ("on_time", False): _("答复超过时限"),
}


def check_message(code: str, passed: bool) -> str:
    return str(MESSAGES.get((code, bool(passed)), code))
