from django import forms
from django.utils.translation import gettext_lazy as _

from bianhe.roles import Role
from bianhe.zones.models import OrgUnit


class _ScopeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class _UserFields(forms.Form):
    display_name = forms.CharField(label=_("Display name"), required=False, max_length=100)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    scope_units = _ScopeChoiceField(
        label=_("Scope"),
        queryset=OrgUnit.objects.exclude(level="ministry").order_by("path"),
        required=False,
        help_text=_("Province reviewer: one province. Zone reporter: one zone. "
                    "Observer: one or more units. Ministry roles: none."),
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )


class UserCreateForm(_UserFields):
    username = forms.RegexField(
        label=_("Username"), regex=r"^[\w.@+-]{3,150}$",
        error_messages={"invalid": _("Use 3 to 150 letters, digits or the characters . @ + - _")},
    )
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password_again = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    field_order = ["username", "display_name", "role", "scope_units", "password",
                   "password_again"]

    def clean(self):
        data = super().clean()
        if data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class UserEditForm(_UserFields):
    is_active = forms.BooleanField(label=_("Active"), required=False)


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What the token is for, e.g. the provincial data bridge."))
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366,
                              initial=90)
