"""The notes under the tracking and completion tables, on the pages and in the exports:
what the actual figures are, how progress is expected, what the statuses mean."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bianhe.targets.tracking import tolerance


def basis_note() -> str:
    return _("Actual figures: the values of reports the zones have submitted, the provinces "
             "have approved or the ministry has accepted; drafts and returned reports do not "
             "count. Only approved targets are tracked.")


def tracking_notes(context: dict) -> list[str]:
    tol = f"{tolerance() * 100:g}"
    return [
        basis_note(),
        _("Progress: the year-to-date actual over the target level; for a stock, the share "
          "of the planned increase on last year's end. A growth target is the level last "
          "year's full-year actual × (1 + growth)."),
        _("Linear expected progress: months elapsed / 12 at the period of the "
          "actual figure. Seasonal expected progress: the median share of the full year the "
          "zone had reached by the same month in its earlier years (up to five); with fewer "
          "than two earlier years it is the linear one (marked *). A rate is compared with "
          "its target directly: it is expected to be at the target all year."),
        _("Ahead: progress at least %(tol)s%% above the expected progress; lagging: more "
          "than %(tol)s%% below it; on track in between. For an indicator where lower is "
          "better the two are swapped.") % {"tol": tol},
    ]


def completion_notes(context: dict) -> list[str]:
    return [
        basis_note(),
        _("Completion rate: the full-year actual over the target level (the target over the "
          "actual where lower is better), shown as it is. A target is met when the full-year "
          "actual reaches it."),
        _("Average completion: the mean completion rate of the targets with a full-year "
          "actual, each counted at most %(cap)s%%.") % {"cap": 120},
    ]
