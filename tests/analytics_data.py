"""Putting hand-chosen values into reports of a given status, for the analytics tests.

Values go through the one ingest path, ``do_save_values`` (with ``today`` inside each
period's entry window); statuses are then set in bulk and the fact table rebuilt, as a
loader of historical data would. The workflow's own path to the fact table is tested separately.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from bianhe.analytics.facts import rebuild
from bianhe.audit.models import Source
from bianhe.periods import Period
from bianhe.reporting.actions import do_save_values
from bianhe.reporting.models import Report, Status


def put(values: dict[tuple, float | str], status: str = Status.ACCEPTED) -> None:
    """``{(zone, period, indicator[, member]): value}`` saved and moved to ``status``."""
    import pandas as pd

    by_period = defaultdict(list)
    for key, value in values.items():
        zone, period, indicator = key[:3]
        member = key[3] if len(key) > 3 else ""
        by_period[period].append({"zone": zone, "period": period, "indicator": indicator,
                                  "member": member, "value": str(value)})
    for period, rows in by_period.items():
        today = Period.parse(period).end + dt.timedelta(days=1)
        result = do_save_values(None, pd.DataFrame(rows), source=Source.IMPORT, today=today)
        assert result.ok, result.problems[:3]
        zones = {row["zone"] for row in rows}
        Report.objects.filter(period=period, zone__code__in=zones).update(status=status)
    rebuild()
