"""The forms of the volunteer pages: the citizen's (filters, registration, check-in) and the organiser's
(activity with its shifts, roster decisions, walk-up, review, hours, message). They check shape only;
the rules (capacity, deadlines, ages, fences, who may organise) are the services'."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import validate_phone
from civicgrid.volunteers.models import ActivityType, SignupMethod

DISTANCES = [(1000, _("1 公里内")), (3000, _("3 公里内")), (5000, _("5 公里内")), (20000, _("全城"))]
DEFAULT_RADIUS_M = 5000


class NearbyFilterForm(forms.Form):
    """活动筛选: type, from a date, how far. lat/lon come from the phone (mine.js) or the city centre."""

    kind = forms.ChoiceField(
        label=_("类型"), choices=[("", _("全部类型")), *ActivityType.choices], required=False
    )
    date = forms.DateField(label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    radius = forms.TypedChoiceField(
        label=_("距离"), choices=DISTANCES, coerce=int, required=False, empty_value=DEFAULT_RADIUS_M
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)


class RegisterForm(forms.Form):
    real_name = forms.CharField(label=_("真实姓名"), max_length=40)
    phone = forms.CharField(label=_("手机号"), max_length=11, validators=[validate_phone])
    birth_date = forms.DateField(
        label=_("出生日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("部分活动有最低年龄要求"),
    )
    skills = forms.CharField(
        label=_("技能特长"),
        max_length=200,
        required=False,
        help_text=_("用逗号分隔，如：急救，摄影，手语"),
    )
    consent = forms.BooleanField(
        label=_("我已阅读并同意《志愿服务协议》，同意平台记录我的服务时长并用于志愿服务证明"),
        required=True,
        error_messages={"required": _("请阅读并同意志愿服务协议")},
    )

    def clean_skills(self) -> list[str]:
        raw = self.cleaned_data.get("skills", "").replace("，", ",").replace("、", ",")
        return [s.strip() for s in raw.split(",") if s.strip()]


class CheckForm(forms.Form):
    """签到/签退 from the venue code's page: the direction and, when the phone gave it, its position."""

    direction = forms.ChoiceField(choices=[("in", _("签到")), ("out", _("签退"))])
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180)


# --- organisers -------------------------------------------------------------------------------------


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=ActivityType.choices)
    owner = forms.ChoiceField(label=_("组织方"), help_text=_("由哪支队伍或哪个部门组织"))
    address = forms.CharField(label=_("地点"), max_length=200)
    lat = forms.FloatField(label=_("纬度"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), min_value=-180, max_value=180)
    fence_m = forms.IntegerField(
        label=_("签到范围（米）"), initial=300, validators=[MinValueValidator(50), MaxValueValidator(5000)]
    )
    description = forms.CharField(
        label=_("活动内容"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, owners: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owners


class ShiftForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    capacity = forms.IntegerField(label=_("名额"), validators=[MinValueValidator(1), MaxValueValidator(1000)])
    method = forms.ChoiceField(
        label=_("报名方式"), choices=SignupMethod.choices, initial=SignupMethod.INSTANT
    )
    min_age = forms.IntegerField(
        label=_("最低年龄"), required=False, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    waitlist = forms.BooleanField(label=_("允许候补"), required=False, initial=True)

    def has_changed(self) -> bool:
        """A spare row with no time and no places is left out (its check boxes alone do not count)."""
        return any(self.data.get(self.add_prefix(name)) for name in ("starts_at", "ends_at", "capacity"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("结束时间须晚于开始时间"))
        return data


ShiftFormSet = forms.formset_factory(ShiftForm, extra=2, min_num=1, validate_min=True, max_num=20)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=200)


class WalkupForm(forms.Form):
    """现场签到 by the organiser: the volunteer's phone number (no smartphone) — or a scanned personal code."""

    phone = forms.CharField(label=_("志愿者手机号"), max_length=11, validators=[validate_phone])
    direction = forms.ChoiceField(label=_("签到/签退"), choices=[("in", _("签到")), ("out", _("签退"))])


class ScanWalkupForm(forms.Form):
    shift = forms.TypedChoiceField(label=_("班次"), coerce=int)
    direction = forms.ChoiceField(
        label=_("签到/签退"),
        choices=[("in", _("签到")), ("out", _("签退"))],
        initial="in",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, shifts: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shift"].choices = shifts


class AnomalyDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("认可")), ("reject", _("驳回"))])
    note = forms.CharField(label=_("处理意见"), max_length=200)


class HoursForm(forms.Form):
    """One sign-up's hours: blank keeps the computed hours; another figure needs a reason."""

    hours = forms.DecimalField(
        label=_("认定时长"),
        required=False,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
    )
    note = forms.CharField(label=_("调整理由"), max_length=200, required=False)
    rating = forms.TypedChoiceField(
        label=_("服务评价"),
        choices=[("", "—"), *[(n, "★" * n) for n in range(5, 0, -1)]],
        coerce=int,
        required=False,
        empty_value=None,
    )
    evaluation = forms.CharField(label=_("评语"), max_length=200, required=False)


class MessageForm(forms.Form):
    text = forms.CharField(label=_("通知内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
