"""The H5 forms: the report (随手拍), the rating and the on-site check.

Forms only parse and show errors; the rules live in the services (`case_submit`,
`case_transition`), whose DomainError is put next to the field it names (web.add_domain_error).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.choices import CaseKind, Channel, Rating
from civicgrid.cases.intake import Submission
from civicgrid.mobile.selectors import category_lookup


class ReportForm(forms.Form):
    """A report from the H5 page. Location comes as WGS-84 lat/lon (the map, the device or typed)."""

    description = forms.CharField(label=_("问题描述"), max_length=2000, required=False)
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    category = forms.CharField(label=_("问题分类"), max_length=20, required=False)
    kind = forms.ChoiceField(
        label=_("诉求类型"), choices=CaseKind.choices, initial=CaseKind.COMPLAINT, required=False
    )
    source_ref = forms.CharField(max_length=80, required=False)
    idempotency_key = forms.CharField(max_length=80, required=False)

    # Not a form field (several files, two inputs): errors of the photos are shown under this name.
    photos = forms.Field(required=False)
    # Lat and lon are one thing to the person: errors about them are shown at the map.
    location = forms.Field(required=False)

    def __init__(self, *args, require_category: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.require_category = require_category

    def clean_description(self) -> str:
        value = (self.cleaned_data.get("description") or "").strip()
        if not value:
            raise forms.ValidationError(_("请描述问题"))
        return value

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or CaseKind.COMPLAINT

    def clean_category(self):
        raw = (self.cleaned_data.get("category") or "").strip()
        if not raw:
            if self.require_category:
                raise forms.ValidationError(_("请选择问题分类"))
            return None
        category = category_lookup(raw)
        if category is None:
            raise forms.ValidationError(_("未知的问题分类"))
        return category

    def clean(self) -> dict:
        data = super().clean()
        if "lat" in self.errors or "lon" in self.errors:
            self.errors.pop("lat", None)
            self.errors.pop("lon", None)
            self.add_error("location", _("经纬度应为数字，例如 39.6150 和 109.7650"))
        elif data.get("lat") is None or data.get("lon") is None:
            self.add_error("location", _("请在地图上点选位置，或使用当前位置"))
        return data

    def submission(self, *, channel: str, photos: list) -> Submission:
        d = self.cleaned_data
        source_ref = d.get("source_ref") or ""
        if channel == Channel.APP and source_ref:
            channel = Channel.CODE_SCAN  # arrived from a scanned code
        return Submission(
            description=d["description"],
            lat=d["lat"],
            lon=d["lon"],
            kind=d["kind"],
            channel=channel,
            category=d.get("category"),
            address=d.get("address") or "",
            source_ref=source_ref,
            photos=photos,
        )


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("评价"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择满意、基本满意或不满意")},
    )
    comment = forms.CharField(label=_("评价意见"), max_length=500, required=False)


class VerifyForm(forms.Form):
    """核查 on site: pass (VERIFY) or send back for rework (REWORK), with a note and photos."""

    action = forms.ChoiceField(choices=[("verify", _("核查通过")), ("rework", _("返工"))])
    note = forms.CharField(label=_("核查说明"), max_length=2000, required=False)
    photos = forms.Field(required=False)


def max_photos() -> int:
    return settings.CIVICGRID_PHOTO_MAX_COUNT
