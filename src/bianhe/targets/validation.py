"""Checking a proposed target against the year's indicator catalogue, with Chinese messages.

Every channel (the set's page, the API, the demo) passes its rows through
:func:`clean_targets`; a batch with any problem is refused whole. Rules:

* the indicator is in the catalogue of the target's year;
* a level target is in the indicator's own unit, a growth target in ``%`` (an empty unit
  means "the expected one");
* a rate (增速、强度、利用率) only takes a level target: a growth rate of a rate means nothing;
* a stock at the end of the period (企业数、从业人员) takes a growth target only when the
  scheme allows it (setting ``BIANHE_TARGET_GROWTH_ON_STOCK``, off by default): the
  province fixes the year-end level it expects;
* numbers are read as the reporting channels read them (:mod:`bianhe.reporting.numbers`),
  within the indicator's minimum and maximum, and a growth rate is above −100 %.

The 14th Five-Year Plan figure is recorded as the plan writes it (a 2025 level or an average
yearly growth); only a growth figure on a rate is refused.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bianhe.catalog.models import CatalogVersion, Indicator, TimeBehaviour
from bianhe.formatting import is_percent_unit
from bianhe.reporting.numbers import parse
from bianhe.targets.models import GROWTH_UNIT, Kind

FIELDS = ("indicator", "kind", "value", "unit", "fyp_2025_value", "fyp_2025_kind", "note")
MAX_NOTE = 500
#: The largest magnitude a Decimal(20, 4) column holds.
LIMIT = Decimal("1e16")


def catalogue(year: int) -> dict[str, Indicator]:
    """The indicators of ``year``'s catalogue by code; ValidationError when it has none."""
    version = CatalogVersion.objects.filter(year=year).first()
    if version is None:
        raise ValidationError(_("There is no indicator catalogue for %(year)s: targets cannot "
                                "be set for that year.") % {"year": year})
    return {ind.code: ind for ind in version.indicators.all()}


def indicator_name(indicator: Indicator) -> str:
    english = (get_language() or "").startswith("en")
    return (indicator.name_en or indicator.name_zh) if english else indicator.name_zh


def _numbers(raws: list, percents: list[bool]) -> list[tuple[Decimal | None, str]]:
    """(number, problem text) for each raw input, all read in one vectorised pass: None and
    "" for an empty one; None and the input's text for one that is not a number."""
    texts = []
    for raw in raws:
        if raw is None or isinstance(raw, bool):
            texts.append("" if raw is None else str(raw))
        elif isinstance(raw, int | float | Decimal):
            texts.append(format(Decimal(str(raw)), "f"))
        else:
            texts.append(str(raw))
    if not texts:
        return []
    _floats, canonical, problem = parse(pd.Series(texts, dtype=object),
                                        pd.Series(percents, dtype=bool))
    result = []
    for raw, text, number, bad in zip(raws, texts, canonical, problem, strict=True):
        if isinstance(raw, bool):
            result.append((None, text))
        elif not text.strip():
            result.append((None, ""))
        elif bad or not number:
            result.append((None, text))
        else:
            try:
                value = Decimal(number)
            except InvalidOperation:
                result.append((None, text))
                continue
            fits = value.is_finite() and abs(value) < LIMIT
            result.append((value, "") if fits else (None, text))
    return result


def _is_percent(row: dict, indicators: dict[str, Indicator], kind_key: str) -> bool:
    indicator = indicators.get(str(row.get("indicator") or "").strip().upper())
    unit = indicator.unit if indicator else ""
    return str(row.get(kind_key) or "").strip() == Kind.GROWTH or is_percent_unit(unit)


def clean_target(row: dict, indicators: dict[str, Indicator], year: int, *,
                 growth_on_stock: bool | None = None, numbers=None) -> dict:
    """One row → the target's fields; ValidationError keyed by the row's field names.

    ``numbers``: the row's value and plan figure already read by :func:`_numbers` (a batch
    reads all its numbers at once)."""
    if numbers is None:
        numbers = _numbers([row.get("value"), row.get("fyp_2025_value")],
                           [_is_percent(row, indicators, "kind"),
                            _is_percent(row, indicators, "fyp_2025_kind")])
    if growth_on_stock is None:
        growth_on_stock = settings.BIANHE_TARGET_GROWTH_ON_STOCK
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    code = str(row.get("indicator") or "").strip().upper()
    if not code:
        raise ValidationError({"indicator": [_("Choose an indicator.")]})
    indicator = indicators.get(code)
    if indicator is None:
        raise ValidationError({"indicator": [
            _("Indicator %(code)s is not in the catalogue of %(year)s.")
            % {"code": code, "year": year}]})
    name, unit = indicator_name(indicator), indicator.unit
    is_rate = indicator.time_behaviour == TimeBehaviour.RATE
    is_stock = indicator.time_behaviour == TimeBehaviour.STOCK

    kind = str(row.get("kind") or "").strip()
    if kind not in Kind.values:
        refuse("kind", _("Choose a level or a growth rate."))
    elif kind == Kind.GROWTH and is_rate:
        refuse("kind", _("%(name)s is a rate: its target can only be a level in %(unit)s, "
                         "not a growth rate.") % {"name": name, "unit": unit})
    elif kind == Kind.GROWTH and is_stock and not growth_on_stock:
        refuse("kind", _("%(name)s is a stock at the end of the period: the scheme allows no "
                         "growth target for it; give the year-end level in %(unit)s.")
               % {"name": name, "unit": unit})

    given_unit = str(row.get("unit") or "").strip()
    expected_unit = GROWTH_UNIT if kind == Kind.GROWTH else unit
    if given_unit == "％":
        given_unit = GROWTH_UNIT
    if kind in Kind.values and given_unit and given_unit != expected_unit:
        if kind == Kind.GROWTH:
            refuse("unit", _("A growth target of %(name)s is a percentage (%%), not "
                             "%(unit)s.") % {"name": name, "unit": given_unit})
        else:
            refuse("unit", _("The target of %(name)s is given in %(unit)s, but the indicator "
                             "is measured in %(expected)s: give the level in %(expected)s.")
                   % {"name": name, "unit": given_unit, "expected": unit})

    value, bad = numbers[0]
    if bad:
        refuse("value", _("The target of %(name)s is not a number: “%(text)s”. Write the "
                          "plain number, e.g. 1234.5.") % {"name": name, "text": bad[:40]})
    elif value is None:
        refuse("value", _("Give the target of %(name)s.") % {"name": name})
    elif kind == Kind.GROWTH and value <= -100:
        refuse("value", _("A growth target of %(name)s must be above −100%%.")
               % {"name": name})
    elif kind == Kind.LEVEL:
        if indicator.min_value is not None and value < indicator.min_value:
            refuse("value", _("The target of %(name)s cannot be below %(limit)s %(unit)s.")
                   % {"name": name, "limit": format(indicator.min_value.normalize(), "f"),
                      "unit": unit})
        if indicator.max_value is not None and value > indicator.max_value:
            refuse("value", _("The target of %(name)s cannot be above %(limit)s %(unit)s.")
                   % {"name": name, "limit": format(indicator.max_value.normalize(), "f"),
                      "unit": unit})

    fyp_kind = str(row.get("fyp_2025_kind") or "").strip()
    fyp_value, fyp_bad = numbers[1]
    if fyp_bad:
        refuse("fyp_2025_value", _("The 14th Five-Year Plan figure of %(name)s is not a "
                                   "number: “%(text)s”.") % {"name": name,
                                                             "text": fyp_bad[:40]})
    if fyp_kind and fyp_kind not in Kind.values:
        refuse("fyp_2025_kind", _("Choose a level or a growth rate."))
    elif fyp_value is not None and not fyp_kind:
        refuse("fyp_2025_kind", _("Say whether the 14th Five-Year Plan figure of %(name)s is "
                                  "a 2025 level or an average yearly growth rate.")
               % {"name": name})
    elif fyp_kind == Kind.GROWTH and is_rate:
        refuse("fyp_2025_kind", _("%(name)s is a rate: its target can only be a level in "
                                  "%(unit)s, not a growth rate.") % {"name": name,
                                                                      "unit": unit})
    elif fyp_kind == Kind.GROWTH and fyp_value is not None and fyp_value <= -100:
        refuse("fyp_2025_value", _("A growth target of %(name)s must be above −100%%.")
               % {"name": name})

    note = str(row.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        refuse("note", _("The note is too long: at most %(n)s characters.") % {"n": MAX_NOTE})
    if errors:
        raise ValidationError(errors)
    return {"indicator_code": code, "kind": kind, "value": value, "unit": expected_unit,
            "fyp_2025_value": fyp_value, "fyp_2025_kind": fyp_kind if fyp_value is not None
            else "", "note": note}


def clean_targets(rows: list[dict], indicators: dict[str, Indicator], year: int) -> list[dict]:
    """Every row checked; ValidationError keyed ``targets.<i>.<field>`` naming each problem."""
    errors: dict[str, list[str]] = {}
    cleaned, seen = [], {}
    if not rows:
        raise ValidationError(_("Give at least one target."))
    read = _numbers([raw for row in rows for raw in (row.get("value"),
                                                     row.get("fyp_2025_value"))],
                    [flag for row in rows for flag in (_is_percent(row, indicators, "kind"),
                                                       _is_percent(row, indicators,
                                                                   "fyp_2025_kind"))])
    for i, row in enumerate(rows):
        try:
            fields = clean_target(row, indicators, year, numbers=read[2 * i:2 * i + 2])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"targets.{i}.{field}"] = messages
            continue
        code = fields["indicator_code"]
        if code in seen:
            errors[f"targets.{i}.indicator"] = [
                _("%(name)s is given twice (rows %(first)s and %(second)s).")
                % {"name": indicator_name(indicators[code]), "first": seen[code] + 1,
                   "second": i + 1}]
            continue
        seen[code] = i
        cleaned.append(fields)
    if errors:
        raise ValidationError(errors)
    return cleaned
