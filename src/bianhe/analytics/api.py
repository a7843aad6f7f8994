"""Analytics endpoints: the pivot's queries as JSON, scoped like every other route."""

from __future__ import annotations

import math

from django.utils import timezone
from ninja import Router, Schema, Status

from bianhe.access import can
from bianhe.analytics.queries import run
from bianhe.analytics.query import Query, QueryError, parse_query
from bianhe.roles import Action

router = Router(tags=["analytics"])


class Observation(Schema):
    indicator: str
    unit: str
    period: str
    member: str
    measure: str
    value: float | None
    #: Coverage: zones whose figures went into the value, of the zones that count in that
    #: group and period; ``partial`` when fewer (a total of the confirmed zones only).
    included: int
    expected: int
    partial: bool


class QueryOut(Schema):
    query: dict
    labels: dict[str, dict[str, str]]
    units_of_measure: dict[str, str]
    #: measure -> indicator -> unit, when several measures are asked for
    units_by_measure: dict[str, dict[str, str]]
    footnotes: list[str]
    is_demo: bool
    observations: list[Observation]


class ErrorOut(Schema):
    detail: str


def default_query() -> Query:
    last = timezone.localdate().year - 1
    return Query(indicators=(), level="zone", granularity="year", start=str(last - 4),
                 end=str(last))


@router.get("/analytics/query", response={200: QueryOut, 400: ErrorOut},
            summary="Aggregate indicators by org unit and period (the pivot's query)")
def analytics_query(request):
    """Parameters as on the pivot page: ``indicator`` (repeatable), ``level`` (zone,
    province, orientation, all), ``unit``, ``granularity`` (month, quarter, year, ytd),
    ``start``, ``end``, ``measure`` (value, yoy, pop, share, rank, per_km2, contribution),
    ``breakdown``, ``basis`` (official; reviewed for reviewers). ``measure`` may be repeated
    for several measures side by side. Figures cover the caller's scope only; each
    observation carries its coverage (``included`` of ``expected`` zones)."""
    user = request.auth
    try:
        query = parse_query(request.GET, defaults=default_query(),
                            can_review=can(user, Action.REVIEW))
        result = run(user, query)
    except QueryError as exc:
        return Status(400, {"detail": str(exc)})
    rows = result.frame.itertuples(index=False)
    return Status(200, {
        "query": query.as_params(),
        "labels": result.labels,
        "units_of_measure": result.measure_units,
        "units_by_measure": {m: {c: result.unit_of(c, m) for c in query.indicators}
                             for m in query.all_measures},
        "footnotes": result.footnotes,
        "is_demo": result.is_demo,
        "observations": [
            {"indicator": r.indicator, "unit": r.unit, "period": r.period, "member": r.member,
             "measure": r.measure, "value": None if math.isnan(r.value) else float(r.value),
             "included": int(r.included), "expected": int(r.expected),
             "partial": not math.isnan(r.value) and r.included < r.expected}
            for r in rows],
    })
