"""Forms of the evaluation H5 pages: one checklist answer, the unit's evidence, a re-inspection."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.evaluation.models import Result

REINSPECT_RESULTS = [(Result.PASS, _("整改到位")), (Result.FAIL, _("仍不达标"))]


class LocatedForm(forms.Form):
    """The phone's position, filled in by the page's script (hidden; the service refuses an answer far
    from the site, or one without a position)."""

    lat = forms.FloatField(
        widget=forms.HiddenInput,
        min_value=-90,
        max_value=90,
        required=True,
        error_messages={"required": _("未获取到定位，请允许定位后重试")},
    )
    lon = forms.FloatField(
        widget=forms.HiddenInput,
        min_value=-180,
        max_value=180,
        required=True,
        error_messages={"required": _("未获取到定位，请允许定位后重试")},
    )

    def first_field(self) -> str | None:
        return next(iter(self.errors), None)


class ObservationForm(LocatedForm):
    standard = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(label=_("结果"), choices=Result.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    # When the answer was given on the phone (a draft may be sent later, back online).
    at = forms.DateTimeField(widget=forms.HiddenInput, required=False)


class EvidenceForm(forms.Form):
    note = forms.CharField(
        label=_("整改情况说明"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReinspectForm(LocatedForm):
    result = forms.ChoiceField(label=_("复查结果"), choices=REINSPECT_RESULTS, widget=forms.RadioSelect)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)
