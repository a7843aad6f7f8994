"""When a form's period is open for entry."""

from __future__ import annotations

import datetime as dt

from bianhe.periods import Period


def is_open(form, period: Period, today: dt.date) -> bool:
    """Open from the first day of the period until ``window_days`` after its end.

    A ministry override (WindowOverride) opens or closes one period regardless.
    """
    override = next((o for o in form.overrides.all() if o.period == period.code), None)
    if override is not None:
        return override.is_open
    return period.start <= today <= period.end + dt.timedelta(days=form.window_days)
