"""The default report forms: one per frequency, carrying the catalogue's indicators."""

from __future__ import annotations

from django.db import transaction

from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.catalog.models import CatalogVersion, Frequency
from bianhe.reporting.models import ReportForm
from bianhe.roles import Level
from bianhe.zones.models import OrgUnit

# code, name zh, name en, frequency, deadline (days after the period), window (days after)
DEFAULT_FORMS = (
    ("BH-M", "边（跨）合区主要指标月报", "Monthly report of main indicators", Frequency.MONTHLY,
     10, 60),
    ("BH-Q", "边（跨）合区主要指标季报", "Quarterly report of main indicators",
     Frequency.QUARTERLY, 15, 75),
    ("BH-A", "边（跨）合区年度统计报表", "Annual statistical report", Frequency.ANNUAL, 60, 120),
)


@transaction.atomic
def ensure_default_forms(version: CatalogVersion, *, source: str = Source.CLI) -> list[str]:
    """Create the default forms that do not exist yet, assigned to every zone."""
    created = []
    zones = list(OrgUnit.objects.filter(level=Level.ZONE))
    for code, name_zh, name_en, frequency, deadline, window in DEFAULT_FORMS:
        if ReportForm.objects.filter(code=code).exists():
            continue
        codes = list(version.indicators.filter(frequency=frequency)
                     .order_by("position").values_list("code", flat=True))
        if not codes:
            continue
        form = ReportForm.objects.create(code=code, name_zh=name_zh, name_en=name_en,
                                         frequency=frequency, indicator_codes=codes,
                                         deadline_days=deadline, window_days=window)
        form.zones.set(zones)
        record(actor=None, action="reporting.form.create", obj=form, source=source,
               after={"code": code, "frequency": frequency, "indicators": codes,
                      "deadline_days": deadline, "window_days": window,
                      "zones": len(zones)})
        created.append(code)
    return created


def assign_default_forms(zone: OrgUnit) -> None:
    """A zone added to the registry reports the default forms from then on."""
    codes = [code for code, *_rest in DEFAULT_FORMS]
    for form in ReportForm.objects.filter(code__in=codes, is_active=True):
        form.zones.add(zone)
