"""Forms of the scan-page actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.codes.choices import Grade


def behaviour_choices() -> list[tuple[str, str]]:
    from civicgrid.points.choices import UncivilBehaviour

    return list(UncivilBehaviour.choices)


class InspectForm(forms.Form):
    grade = forms.ChoiceField(label=_("创城等级"), choices=Grade.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("检查说明"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    violation = forms.ChoiceField(label=_("不文明行为（扣经营者积分，可不选）"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["violation"].choices = [("", _("无违规"))] + behaviour_choices()


class ViolationForm(forms.Form):
    person = forms.ChoiceField(label=_("当事人"), widget=forms.RadioSelect)
    behaviour = forms.ChoiceField(label=_("不文明行为"))
    note = forms.CharField(
        label=_("说明"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, people=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(str(p.pk), f"{p.display_name}") for p in people]
        self.fields["behaviour"].choices = behaviour_choices()


class LocationForm(forms.Form):
    lat = forms.FloatField(label=_("纬度"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), min_value=-180, max_value=180)


class EBikeReportForm(forms.Form):
    note = forms.CharField(label=_("说明（如：占用盲道、堵塞消防通道）"), max_length=300, required=False)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
