from django import forms

from bianhe.catalog.models import Indicator


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = Indicator.EDITABLE_FIELDS
        widgets = {"definition": forms.Textarea(attrs={"rows": 3}),
                   "source": forms.Textarea(attrs={"rows": 2}),
                   "notes": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self):
        # The action validates the indicator as a whole (with its version's other codes).
        pass

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in Indicator.EDITABLE_FIELDS}
