"""Parsing what the console's pages send: queue filters, action forms and the hotline entry form.

Bad input never reaches a service half-parsed: it becomes a message on the field it came from.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Department, User
from civicgrid.cases.access import merge_target
from civicgrid.cases.choices import CaseKind, Channel, Light
from civicgrid.cases.photos import ProcessedPhoto
from civicgrid.cases.uploads import uploads_process
from civicgrid.cases.workflow import MoveInput
from civicgrid.core.errors import DomainError
from civicgrid.taxonomy.choices import Urgency
from civicgrid.taxonomy.models import Category
from civicgrid.taxonomy.selectors import category_by_code

LIGHT_CHOICES = [
    (Light.RED, _("红灯（超时）")),
    (Light.YELLOW, _("黄灯（临近时限）")),
    (Light.GREEN, _("绿灯")),
    (Light.NONE, _("不计时")),
]


# --- actions ---------------------------------------------------------------------------------------


def category_from_value(value: str) -> Category | None:
    """`kind:code` as the console's pickers send it (`code` alone when it is unambiguous)."""
    try:
        return category_by_code(value)
    except DomainError as err:
        raise DomainError(
            "category_unknown",
            f"请从列表中选择分类（{value}）",
            f"choose a category from the list ({value})",
            field="category",
        ) from err


def department_from_value(value: str) -> Department | None:
    if not value:
        return None
    department = Department.objects.filter(code=value).first()
    if department is None:
        raise DomainError(
            "department_unknown",
            f"请从列表中选择部门（{value}）",
            f"choose a department from the list ({value})",
            field="department",
        )
    return department


def photos_from_files(files: MultiValueDict, *, user: User) -> list[ProcessedPhoto]:
    return uploads_process(files.getlist("photos"), user=user)


def move_input(post: QueryDict, files: MultiValueDict, *, user: User) -> tuple[str, MoveInput]:
    """An action form → (note, MoveInput). Unknown departments, categories, hours are field errors."""
    hours = None
    raw_hours = (post.get("hours") or "").strip()
    if raw_hours:
        try:
            hours = Decimal(raw_hours)
        except InvalidOperation as exc:
            raise DomainError(
                "hours_invalid",
                "延期时长应为小时数，如 8 或 16.5",
                "hours must be a number such as 8 or 16.5",
                field="hours",
            ) from exc
    urgency = post.get("urgency") or None
    if urgency is not None and urgency not in Urgency.values:
        raise DomainError(
            "urgency_invalid", "紧急程度应为一般或紧急", "urgency must be normal or urgent", field="urgency"
        )
    payload = MoveInput(
        department=department_from_value(post.get("department", "")),
        category=category_from_value(post.get("category", "")),
        urgency=urgency,
        hours=hours,
        rating=post.get("rating") or None,
        photos=photos_from_files(files, user=user),
        original=merge_target(user, post.get("original")),
    )
    return post.get("note", ""), payload


# --- hotline / mailbox entry ------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class IntakeForm(forms.Form):
    """A hotline call (热线) or a mailbox letter (书记信箱) entered by the dispatcher."""

    channel = forms.ChoiceField(
        label=_("来源"),
        choices=[(Channel.HOTLINE, Channel.HOTLINE.label), (Channel.MAILBOX, Channel.MAILBOX.label)],
    )
    kind = forms.ChoiceField(label=_("诉求类型"), choices=CaseKind.choices, initial=CaseKind.COMPLAINT)
    category = forms.CharField(label=_("问题分类"), required=False)
    urgency = forms.ChoiceField(
        label=_("紧急程度"), required=False, choices=[("", _("按分类默认")), *Urgency.choices]
    )
    description = forms.CharField(
        label=_("问题描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    lat = forms.FloatField(label=_("纬度"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), min_value=-180, max_value=180)
    contact_name = forms.CharField(label=_("来电/来信人"), max_length=40, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    is_public = forms.BooleanField(label=_("可公开（不含个人信息）"), required=False, initial=True)
    photos = forms.FileField(label=_("照片/信件扫描件"), required=False, widget=MultipleFileInput())
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # One key per opened form: a double click or a resent POST enters the call once.
            self.initial["idempotency_key"] = uuid.uuid4().hex

    def clean_category(self) -> Category | None:
        try:
            return category_from_value(self.cleaned_data.get("category", ""))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc

    def add_domain_error(self, exc: DomainError) -> None:
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


# --- what each action's form asks for (the note's requirement comes from workflow.MOVES) -----------


@dataclass
class ActionForm:
    action: str
    label: str
    # Besides the note: category, urgency, department, hours, photos, rating, original (并案).
    fields: tuple[str, ...] = ()
    note_label: str = ""
    note_required: bool = False
    style: str = ""  # "primary" for the usual next step, "danger" for refusals
    error: DomainError | None = None  # why the last attempt of this very form was refused
    submitted: dict = field(default_factory=dict)  # what it sent then (shown again)

    @property
    def multipart(self) -> bool:
        return "photos" in self.fields

    @property
    def field_error(self) -> str:
        """The field the error belongs to, when this form shows that field; else ""."""
        if self.error is not None and self.error.field in (*self.fields, "note"):
            return self.error.field
        return ""

    @property
    def general_error(self) -> str:
        """An error that belongs to no field of the form (an illegal move, a conflict)."""
        return self.error.message if self.error is not None and not self.field_error else ""


_SPECS: dict[str, dict] = {
    "register": {"fields": ("category", "urgency"), "note_label": _("立案意见"), "style": "primary"},
    "reject": {"note_label": _("不予立案理由"), "style": "danger"},
    "dispatch": {"fields": ("department",), "note_label": _("派遣意见"), "style": "primary"},
    "accept": {"note_label": _("签收说明"), "style": "primary"},
    "return": {"note_label": _("退回理由（为何不属于本部门）"), "style": "danger"},
    "request_extension": {"fields": ("hours",), "note_label": _("延期理由")},
    "approve_extension": {"note_label": _("审批意见"), "style": "primary"},
    "refuse_extension": {"note_label": _("驳回理由"), "style": "danger"},
    "feedback": {"fields": ("photos",), "note_label": _("处置结果"), "style": "primary"},
    "verify": {"fields": ("photos",), "note_label": _("核查意见"), "style": "primary"},
    "rework": {"fields": ("photos",), "note_label": _("返工理由"), "style": "danger"},
    "close": {"note_label": _("结案意见"), "style": "primary"},
    "hang": {"note_label": _("挂账理由")},
    "resume": {"note_label": _("说明")},
    "supervise": {"note_label": _("督办意见"), "style": "primary"},
    "rate": {"fields": ("rating",), "note_label": _("评价意见")},
    "redispatch": {"fields": ("department",), "note_label": _("改派理由")},
    "recall": {"note_label": _("撤回理由"), "style": "danger"},
    "merge": {"fields": ("original",), "note_label": _("并案理由")},
    "unmerge": {"note_label": _("撤销并案理由（为何不是同一问题）"), "style": "danger"},
}


def action_forms(
    actions: list[str],
    *,
    failed: str = "",
    error: DomainError | None = None,
    submitted: QueryDict | None = None,
) -> list[ActionForm]:
    """The forms of the moves the viewer may make now, in the workflow's order; the failed one keeps its input."""
    from civicgrid.cases.choices import Action
    from civicgrid.cases.workflow import MOVES

    out = []
    for action in actions:
        spec = _SPECS.get(action, {})
        form = ActionForm(
            action=action, label=str(Action(action).label), note_required=MOVES[action].note_required, **spec
        )
        if action == failed:
            form.error = error
            form.submitted = (
                {k: submitted.get(k, "") for k in ("note", *form.fields) if k != "photos"}
                if submitted is not None
                else {}
            )
        out.append(form)
    return out


class RoundForm(forms.Form):
    """A new evaluation round (测评轮次): the sampling configuration as JSON (see evaluation/sampling.py)."""

    edition = forms.ModelChoiceField(label=_("测评体系"), queryset=None)
    name = forms.CharField(label=_("名称"), max_length=100)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    strata = forms.JSONField(
        label=_("抽样设置"),
        initial={"share": 0.2, "min": 1},
        help_text=_(
            '每类点位每个街道抽取的数量：{"per_type": {"market": 2}, "default": 1}，或比例：{"share": 0.2, "min": 1}'
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    seed = forms.IntegerField(
        label=_("随机种子"), required=False, help_text=_("留空则随机生成；同一种子可复核抽样")
    )

    def __init__(self, *args, **kwargs) -> None:
        from civicgrid.evaluation.models import Edition, EditionStatus

        super().__init__(*args, **kwargs)
        self.fields["edition"].queryset = Edition.objects.filter(status=EditionStatus.PUBLISHED)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("结束日期不能早于开始日期"))
        return data
