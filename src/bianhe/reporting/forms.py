from django import forms
from django.utils.translation import gettext_lazy as _

from bianhe.reporting.models import ReportForm, Status


class ReportFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), *Status.choices])
    form = forms.ModelChoiceField(label=_("Form"), required=False, to_field_name="code",
                                  queryset=ReportForm.objects.filter(is_active=True),
                                  empty_label=_("All"))
    period = forms.ChoiceField(label=_("Period"), required=False, choices=[("", _("All"))])

    def __init__(self, *args, periods=(), **kwargs):
        """``periods``: the (code, label) pairs the user's reports have, newest first."""
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("", _("All")), *periods]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    dry_run = forms.BooleanField(label=_("Check only, write nothing"), required=False)
