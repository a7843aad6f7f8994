"""In-app notices: what needs this person's attention now, computed from the data.

Computed on each page view rather than stored, so a notice disappears the moment its cause
does (a returned report resubmitted, an overdue report sent).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.formatting import date_zh
from bianhe.reporting.models import Report
from bianhe.reporting.queries import due_reports
from bianhe.reporting.workflow import INBOX, PROVINCE, REVIEW_LEVELS, ZONE, level_of


def notices_for(user) -> list[dict]:
    """Each notice: level, url, text, and ``older`` (a return from before this year, which
    the home page folds away below this year's)."""
    level = level_of(user)
    notices: list[dict] = []
    this_year = str(timezone.localdate().year)
    if level == ZONE:
        for report in Report.objects.restrict(user).filter(status=INBOX[ZONE]) \
                .select_related("zone", "form").order_by("-period", "zone__path")[:20]:
            notices.append({"level": "warning", "url": _entry_url(report),
                            "older": not report.period.startswith(this_year), "text": _(
                "%(zone)s %(form)s %(period)s was returned: %(reason)s") % {
                "zone": report.zone.name, "form": report.form.name_zh,
                "period": report.period_obj.label(cumulative=True),
                "reason": report.returned_reason}})
        for item in due_reports(user):
            url = reverse("reporting:entry", kwargs={"code": item["zone"].code,
                                                     "form": item["form"].code,
                                                     "period": item["period"].code})
            template = _("%(form)s %(period)s is overdue since %(deadline)s") if \
                item["overdue"] else _("%(form)s %(period)s is due by %(deadline)s")
            notices.append({"level": "error" if item["overdue"] else "info", "url": url,
                            "text": template % {"form": item["form"].name_zh,
                                                "period": item["period"].label(cumulative=True),
                                                "deadline": date_zh(item["deadline"])}})
    elif level in REVIEW_LEVELS:
        count = Report.objects.restrict(user).filter(status=INBOX[level]).count()
        if count:
            text = (_("%(n)d reports are waiting for your review.") if level == PROVINCE
                    else _("%(n)d reports are waiting for your acceptance."))
            notices.append({"level": "info", "url": reverse("reporting:list"),
                            "text": text % {"n": count}})
    # This year's first (due and overdue, then this year's returns), older returns last.
    return sorted(notices, key=lambda notice: notice.get("older", False))


def _entry_url(report) -> str:
    return reverse("reporting:entry", kwargs={"code": report.zone.code,
                                              "form": report.form.code,
                                              "period": report.period})
