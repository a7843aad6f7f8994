from django import forms
from django.utils.translation import gettext_lazy as _

from bianhe.reporting.models import ReportForm, Status


class ReportFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), *Status.choices])
    form = forms.ModelChoiceField(label=_("Form"), required=False, to_field_name="code",
                                  queryset=ReportForm.objects.filter(is_active=True),
                                  empty_label=_("All"))
    period = forms.CharField(label=_("Period"), required=False, max_length=8,
                             help_text=_("e.g. 2024M06, 2024Q2, 2024"))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    dry_run = forms.BooleanField(label=_("Check only, write nothing"), required=False)
