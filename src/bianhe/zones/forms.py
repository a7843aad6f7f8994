import re

from django import forms
from django.utils.translation import gettext_lazy as _

from bianhe.roles import Action, Level
from bianhe.zones.models import OrgUnit, ZoneKind

_SEPARATORS = re.compile(r"[、,,;;\n]+")


class CountryListField(forms.CharField):
    """Neighbouring countries typed as 俄罗斯、蒙古国 (、 , ; or new lines between)."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return "、".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


class ZoneForm(forms.ModelForm):
    neighbour_countries = CountryListField(
        label=_("Neighbouring countries"),
        required=False,
        help_text=_("Separate the names with 、, for example: 俄罗斯、蒙古国."),
    )

    class Meta:
        model = OrgUnit
        fields = OrgUnit.EDITABLE_FIELDS
        widgets = {
            "approved_on": forms.DateInput(attrs={"type": "date"}),
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_to": forms.DateInput(attrs={"type": "date"}),
            "approval_note": forms.Textarea(attrs={"rows": 2}),
            "area_basis": forms.Textarea(attrs={"rows": 2}),
            "source": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].required = True
        self.fields["kind"].choices = ZoneKind.choices

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in OrgUnit.EDITABLE_FIELDS}

    def _post_clean(self):
        # Validation of the whole unit happens in the action (with its parent and path);
        # here only the fields themselves are checked.
        pass


class NewZoneForm(ZoneForm):
    code = forms.RegexField(
        label=_("Code"),
        regex=r"^[A-Z][A-Z0-9-]{1,31}$",
        error_messages={"invalid": _(
            "Use 2 to 32 capital letters, digits or hyphens, for example BECZ-XJ-05."
        )},
    )
    parent = forms.ModelChoiceField(label=_("Province"), queryset=OrgUnit.objects.none())

    field_order = ["code", "parent"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = OrgUnit.objects.restrict(user, Action.CHANGE).filter(
            level=Level.PROVINCE
        )

    def clean_code(self):
        code = self.cleaned_data["code"]
        if OrgUnit.objects.filter(code=code).exists():
            raise forms.ValidationError(_("An org unit with this code already exists."))
        return code


class ZoneFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1949, max_value=2100, required=False)
    province = forms.ModelChoiceField(
        label=_("Province"), queryset=OrgUnit.objects.none(), required=False,
        to_field_name="code", empty_label=_("All"),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *ZoneKind.choices], required=False
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=50)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = OrgUnit.objects.restrict(user).filter(
            level=Level.PROVINCE
        )
