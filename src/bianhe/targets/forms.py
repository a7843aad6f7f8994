"""The forms of the targets pages: one target, a decision's reason, and the page filters.

The target form takes text and leaves the checking to the action (:mod:`.validation`), so a
page, the API and the demo refuse the same input with the same Chinese message.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bianhe.periods import MONTHLY, Period
from bianhe.targets.models import Kind
from bianhe.targets.progress import STATUSES
from bianhe.targets.texts import STATUS_LABELS
from bianhe.targets.validation import MAX_NOTE, indicator_name

LINEAR, SEASONAL = "linear", "seasonal"
MEASURES = {SEASONAL: _("seasonal expected progress"),
            LINEAR: _("linear expected progress (months elapsed / 12)")}


class TargetForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"))
    kind = forms.ChoiceField(label=_("Kind of target"), choices=Kind.choices)
    value = forms.CharField(label=_("Target"), max_length=40)
    unit = forms.CharField(
        label=_("Unit"), max_length=20, required=False,
        help_text=_("Leave empty for the indicator's unit (a level) or % (a growth rate)."))
    fyp_2025_value = forms.CharField(label=_("14th Five-Year Plan target for 2025"),
                                     max_length=40, required=False)
    fyp_2025_kind = forms.ChoiceField(
        label=_("Kind of the plan target"), required=False,
        choices=[("", _("none")), (Kind.LEVEL, _("level in 2025")),
                 (Kind.GROWTH, _("average yearly growth rate"))])
    note = forms.CharField(label=_("Note"), max_length=MAX_NOTE, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, indicators=(), **kwargs):
        """``indicators``: the catalogue entries of the set's year, in catalogue order."""
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [
            (i.code, f"{indicator_name(i)}（{i.unit}）") for i in indicators]

    def row(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in self.fields}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


def month_choices(year: int) -> list[tuple[str, str]]:
    return [("", _("latest reported"))] + [
        (str(m), Period(MONTHLY, year, m).label(cumulative=True)) for m in range(12, 0, -1)]


class TrackingFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    as_of = forms.TypedChoiceField(label=_("As of"), coerce=int, required=False,
                                   empty_value=None)
    province = forms.ChoiceField(label=_("Province"), required=False)
    zone = forms.ChoiceField(label=_("Zone"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")),
                                        *((s, STATUS_LABELS[s]) for s in STATUSES)])
    measure = forms.ChoiceField(label=_("Status by"), required=False,
                                choices=list(MEASURES.items()))

    def __init__(self, *args, years=(), provinces=(), zones=(), year=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}年") for y in years]
        self.fields["as_of"].choices = month_choices(year or (years[0] if years else 2000))
        self.fields["province"].choices = [("", _("All")),
                                           *((p.code, p.name) for p in provinces)]
        self.fields["zone"].choices = [("", _("All")), *((z.code, z.name) for z in zones)]


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}年") for y in years]
