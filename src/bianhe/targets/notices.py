"""Notices about this year's targets, computed on each home-page view like the reporting
notices (:mod:`bianhe.reporting.notices`), so they vanish the moment their cause does.

* the zone: its returned set (with the reason), and each of its approved targets lagging by
  the seasonal expected progress, naming the linear one too;
* the province: the sets waiting for its approval, and per zone the number of targets
  lagging by the seasonal expected progress.

A target is called lagging here only by the seasonal measure: the linear 时序进度 alone
would call a zone whose results always peak in December lagging every autumn.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bianhe.targets.models import SetStatus, TargetSet
from bianhe.targets.progress import LAGGING
from bianhe.targets.tracking import current_year, track
from bianhe.targets.workflow import PROVINCE, ZONE, level_of


def _tracking_url(**params) -> str:
    return f"{reverse('targets:tracking')}?{urlencode(params)}"


def notices_for(user) -> list[dict]:
    level = level_of(user)
    if level not in (ZONE, PROVINCE):
        return []
    year = current_year()
    sets = TargetSet.objects.restrict(user).filter(year=year)
    notices: list[dict] = []
    if level == ZONE:
        for target_set in sets.filter(status=SetStatus.RETURNED).select_related("zone"):
            notices.append({"level": "warning", "url": reverse(
                "targets:set", kwargs={"year": year, "code": target_set.zone.code}),
                "text": _("Your targets for %(year)s were returned: %(reason)s")
                % {"year": year, "reason": target_set.returned_reason}})
        for row in track(sets, year).rows():
            if row.status_seasonal != LAGGING:
                continue
            notices.append({"level": "warning", "url": _tracking_url(
                year=year, zone=row.zone_code, status=LAGGING),
                "text": _("%(indicator)s is behind its %(year)s target: %(progress)s of it by "
                          "%(period)s, where the zone's earlier years reached "
                          "%(seasonal)s (linear expected progress %(linear)s).")
                % {"indicator": row.indicator_name, "year": year,
                   "progress": row.progress_text, "period": row.period_label,
                   "seasonal": row.seasonal_text, "linear": row.linear_text}})
    else:
        waiting = sets.filter(status=SetStatus.SUBMITTED).count()
        if waiting:
            notices.append({"level": "info", "url": f"{reverse('targets:list')}?year={year}",
                            "text": ngettext(
                                "The targets of %(n)d zone are waiting for your approval.",
                                "The targets of %(n)d zones are waiting for your approval.",
                                waiting) % {"n": waiting}})
        lagging: dict[str, list] = {}
        for row in track(sets, year).rows():
            if row.status_seasonal == LAGGING:
                lagging.setdefault(row.zone_code, []).append(row)
        for code, rows in lagging.items():
            notices.append({"level": "warning", "url": _tracking_url(
                year=year, zone=code, status=LAGGING),
                "text": ngettext(
                    "%(zone)s: %(n)d target is behind its seasonal expected progress "
                    "(%(names)s).",
                    "%(zone)s: %(n)d targets are behind their seasonal expected progress "
                    "(%(names)s).", len(rows))
                % {"zone": rows[0].zone_name, "n": len(rows),
                   "names": "、".join(r.indicator_name for r in rows)}})
    return notices

