"""The forms of the evaluation pages. Validation beyond the fields (the scheme's text, the
year's data, publication) is the actions'; their messages come back on these forms."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bianhe import formatting
from bianhe.evaluation.actions import MAX_REPLICATIONS, MIN_REPLICATIONS
from bianhe.evaluation.models import Scheme, Visibility


class ChineseForm(forms.Form):
    """Labels end with a full-width colon, as Chinese text does."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "：")
        super().__init__(*args, **kwargs)


class SchemeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Scheme) -> str:
        return str(obj)


class StartRunForm(ChineseForm):
    scheme = SchemeChoiceField(label=_("Scheme"), queryset=Scheme.objects.none(),
                               empty_label=None)
    year = forms.TypedChoiceField(label=_("Year evaluated"), coerce=int)
    label = forms.CharField(label=_("Label"), max_length=100, required=False,
                            help_text=_("What this run tries, e.g. a weight variant."))
    variant = forms.BooleanField(
        label=_("Variant for comparison (not to be published)"), required=False)
    replications = forms.IntegerField(label=_("Monte-Carlo replications"), initial=1000,
                                      min_value=MIN_REPLICATIONS, max_value=MAX_REPLICATIONS)
    sensitivity = forms.BooleanField(label=_("Sobol indices per pillar"), required=False)

    def __init__(self, *args, schemes, years_with_data, catalogue_years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes
        with_data = set(years_with_data)
        this_year = timezone.localdate().year
        years = sorted(set(catalogue_years) | with_data, reverse=True)

        def label(year: int) -> str:
            name = formatting.period_label(str(year))
            if year >= this_year:
                return _("%(year)s (not ended yet)") % {"year": name}
            if year not in with_data:
                return _("%(year)s (no data accepted by the ministry yet)") % {"year": name}
            return name

        # The years stay in the list, so that choosing one gets the action's own message.
        self.fields["year"].choices = [(year, label(year)) for year in years]
        ended = [year for year in with_data if year < this_year]
        if ended:
            self.fields["year"].initial = max(ended)


class SchemeForm(ChineseForm):
    text = forms.CharField(label=_("Scheme text"), strip=False,
                           widget=forms.Textarea(attrs={"rows": 32, "cols": 100,
                                                        "spellcheck": "false",
                                                        "class": "code"}))


class NewSchemeForm(SchemeForm):
    code = forms.SlugField(label=_("Code"), max_length=40,
                           help_text=_("Letters, digits, hyphens and underscores; the "
                                       "versions of one scheme share it."))

    field_order = ["code", "text"]


class VisibilityForm(ChineseForm):
    visibility = forms.ChoiceField(label=_("What provinces, zones and observers see of "
                                           "published results"),
                                   choices=Visibility.choices, widget=forms.RadioSelect)
