"""Synthetic demo statistics (演示数据) for ``make demo``: seeded, deterministic, labelled.

:func:`generate_values` is a pure function (numpy and pandas, no database) that turns zone,
form and indicator descriptions into a table of values; :func:`build_demo_data` reads those
descriptions from the database, writes the values through the one ingest path, marks the
reports ``is_demo`` and walks them through the review workflow with the demo users.

The figures are invented. Each zone gets a log-normal size, a yearly growth trend shared
with a common year effect (the 2020 dip, the 2021 rebound), monthly seasonality (the Spring
Festival month dips, December peaks) and noise; the border-port passenger series follows
the closures of 2020–2022. Within a zone and month the books balance: exports + imports =
total trade, 边境小额贸易 + 边民互市贸易 = 边境贸易额 ≤ total trade, trade by partner
country sums to total trade (mostly with the zone's neighbouring countries), tax ≤ fiscal
revenue, industrial value added ≤ GDP, enterprises by size sum to the year-end enterprise
count. Year-to-date flows are cumulative sums of non-negative period flows, so they never
fall within a year. About 0.5 % of the cells are deliberately implausible (one period's
flow or level ×10, column ``planted``) for the data-quality screens; none of them breaks a
hard field check (minimum, maximum, cumulative monotonicity), which ingest would refuse.

Random numbers come from ``numpy.random.default_rng`` seeded with ``(seed, zone, year, …)``
(strings hashed with CRC-32), so a zone-year's figures do not depend on which other zones or
years are generated with it: a two-year slice equals the same years of the full set.
"""

from __future__ import annotations

import datetime as dt
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.catalog.disaggregations import DISAGGREGATIONS, members
from bianhe.catalog.loader import load_catalogue
from bianhe.catalog.models import CatalogVersion, Indicator
from bianhe.periods import ANNUAL, MONTHLY, QUARTERLY, Period
from bianhe.quality.actions import ensure_default_rules
from bianhe.quality.checks import check_reports
from bianhe.quality.demo import accept_explanations, explain_flags
from bianhe.quality.models import Flag, Severity
from bianhe.reporting.actions import do_transition
from bianhe.reporting.ingest import ingest
from bianhe.reporting.models import Report, ReportForm, Status
from bianhe.reporting.setup import ensure_default_forms
from bianhe.zones.models import OrgUnit

DEFAULT_SEED = 2021
DEFAULT_YEARS = range(2019, 2025)
#: Share of all generated cells that are planted implausible values (×10).
SPIKE_SHARE = 0.005
SPIKE_FACTOR = 10
_REFERENCE_YEAR = 2019
_YEAR_EFFECT = {2020: -0.07, 2021: 0.08, 2022: -0.03, 2023: 0.05, 2024: 0.02}
_SPRING_FESTIVAL_MONTH = {2019: 2, 2020: 1, 2021: 2, 2022: 2, 2023: 1, 2024: 2, 2025: 1,
                          2026: 2}
_SEASON = np.array([0.86, 0.84, 1.0, 0.98, 1.0, 1.05, 0.98, 0.99, 1.03, 1.0, 1.07, 1.2])
_PERIODS_PER_YEAR = {MONTHLY: 12, QUARTERLY: 4, ANNUAL: 1}
#: Indicators whose single-period ×10 spike breaks no identity the demo keeps.
SPIKE_CODES = frozenset({
    "IND_OUTPUT", "ABOVE_SCALE_IND_PROFIT", "RETAIL_SALES", "FDI_USED",
    "CROSS_BORDER_ECOMMERCE", "FAI", "INVEST_ATTRACTED", "INVEST_IN_PLACE", "PORT_FREIGHT",
    "CROSS_BORDER_PASSENGERS", "MAJOR_PROJECTS", "EMPLOYEES", "POLICY_BANK_LOANS",
    "NEW_URBAN_JOBS", "LOGISTICS_ENTERPRISES", "LAND_INVEST_INTENSITY", "ENERGY_INTENSITY",
    "PEOPLE_TRAINED",
})
COLUMNS = ["zone", "form", "period", "indicator", "member", "value", "planted"]


# --- descriptions the generator works from ------------------------------------------------


@dataclass(frozen=True)
class ZoneSpec:
    code: str
    province: str
    neighbours: tuple[str, ...] = ()  # Chinese names, as in the registry (俄罗斯, 越南)
    active_years: frozenset[int] = frozenset()
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    area_km2: float | None = None


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    frequency: str
    time_behaviour: str  # flow_ytd, stock or rate
    value_type: str = "decimal"
    decimals: int = 1
    min_value: float | None = None
    max_value: float | None = None
    disaggregation: str = ""


@dataclass(frozen=True)
class FormSpec:
    code: str
    frequency: str
    indicator_codes: tuple[str, ...]
    zones: frozenset[str] = field(default_factory=frozenset)


def _key(*parts) -> list[int]:
    return [p if isinstance(p, int) else zlib.crc32(str(p).encode()) for p in parts]


def _rng(seed: int, *parts) -> np.random.Generator:
    return np.random.default_rng(_key(seed, *parts))


def _format(units: int, decimals: int) -> str:
    """Exact decimal text of an integer count of 10^-decimals (no float rounding, no -0)."""
    if decimals == 0:
        return str(units)
    whole, part = divmod(abs(units), 10 ** decimals)
    return f"{'-' if units < 0 else ''}{whole}.{part:0{decimals}d}"


def _split(total: np.ndarray, weights: np.ndarray, rest: int) -> np.ndarray:
    """Split integer totals (n,) by weights (m,) or (n, m); member ``rest`` takes the remainder.

    Every member but ``rest`` gets the floor of its share, so all are ≥ 0 and the members
    sum exactly to the total.
    """
    w = np.broadcast_to(weights, (len(total), weights.shape[-1]))
    parts = np.floor(total[:, None] * w / w.sum(axis=1, keepdims=True)).astype(np.int64)
    parts[:, rest] = 0
    parts[:, rest] = total - parts.sum(axis=1)
    return parts


def _units(values, decimals: int) -> np.ndarray:
    return np.maximum(np.round(np.asarray(values, dtype=float) * 10 ** decimals), 0) \
        .astype(np.int64)


# --- one zone --------------------------------------------------------------------------


class _Zone:
    """A zone's invented economy: parameters drawn once, each year simulated on demand."""

    def __init__(self, spec: ZoneSpec, seed: int):
        self.spec, self.seed = spec, seed
        rng = _rng(seed, spec.code)
        draw = rng.uniform
        self.scale = float(rng.lognormal(0.0, 0.7))
        self.trend = float(rng.normal(0.06, 0.03))
        self.p = {
            "iva_share": draw(0.25, 0.5), "above_share": draw(0.7, 0.9),
            "margin": draw(0.03, 0.08), "landed": draw(0.1, 0.4),
            "fiscal": draw(0.05, 0.09), "tax": draw(0.65, 0.85), "ind_tax": draw(0.3, 0.5),
            "retail": draw(0.15, 0.35), "trade": float(rng.lognormal(np.log(1.5), 0.5)),
            "export": draw(0.35, 0.7), "border": draw(0.25, 0.7), "small": draw(0.4, 0.8),
            "fdi": draw(0.002, 0.01), "ecommerce": draw(0.01, 0.05), "fai": draw(0.4, 0.9),
            "major": draw(0.4, 0.7), "attracted": draw(0.3, 0.8), "in_place": draw(0.4, 0.7),
            "value_per_ton": draw(2000, 8000), "passengers": draw(20, 300),
            "enterprises": draw(300, 1500), "above_ent": draw(0.03, 0.08),
            "employees": draw(15, 40), "projects": draw(8, 20), "anchor": draw(0.01, 0.03),
            "logistics": draw(0.04, 0.1), "warehouses": draw(0, 4), "area": draw(2, 12),
            "developed": draw(0.4, 0.6), "supplied": draw(0.6, 0.85),
            "land_invest": draw(150, 450), "high_tech": draw(0.01, 0.04),
            "rd_inst": draw(1, 8), "rd": draw(0.004, 0.02), "energy": draw(0.3, 1.2),
            "waste": draw(60, 90), "coop": draw(0, 2), "coop_slope": draw(0, 0.4),
            "training": draw(4, 15), "per_session": draw(30, 80), "policy_docs": draw(1, 5),
            "loans": draw(0.01, 0.06), "deflator": draw(1.0, 3.0),
        }
        self._growth: dict[int, float] = {}

    def growth(self, year: int) -> float:
        if year not in self._growth:
            noise = _rng(self.seed, self.spec.code, year, "growth").normal(0, 0.04)
            self._growth[year] = self.trend + _YEAR_EFFECT.get(year, 0.0) + float(noise)
        return self._growth[year]

    def level(self, year: int) -> float:
        """Size relative to the reference year: exp of the summed yearly growth."""
        if year >= _REFERENCE_YEAR:
            return float(np.exp(sum(self.growth(y) for y in range(_REFERENCE_YEAR + 1,
                                                                    year + 1))))
        return float(np.exp(-sum(self.growth(y) for y in range(year + 1,
                                                                 _REFERENCE_YEAR + 1))))

    def active_months(self, year: int) -> np.ndarray:
        """1.0 for each month of ``year`` in which the zone exists (approval, abolition)."""
        first = self.spec.valid_from
        last = self.spec.valid_to
        months = np.ones(12)
        for m in range(12):
            period = Period(MONTHLY, year, m + 1)
            if (first and period.end < first) or (last and period.start > last):
                months[m] = 0.0
        return months

    def simulate(self, year: int, catalogue: Mapping[str, IndicatorSpec]) -> dict:
        """Per-period integer units of every indicator: {code: {member: (kind, array)}}.

        ``kind`` is "flow" (a period's flow; cumulated later for year-to-date indicators)
        or "level" (a stock or a rate, reported as it is).
        """
        p, rng = self.p, _rng(self.seed, self.spec.code, year)
        lvl, size = self.level(year), self.scale
        active = self.active_months(year)
        gdp_year = 600_000.0 * size * lvl  # 万元

        def monthly(total: float, strength: float = 1.0, sigma: float = 0.06) -> np.ndarray:
            season = 1 + strength * (_SEASON - 1)
            season[_SPRING_FESTIVAL_MONTH.get(year, 2) - 1] *= 1 - 0.18 * strength
            season = np.clip(season, 0.05, None) * rng.lognormal(0, sigma, 12)
            return total * season / season.sum() * active

        def dec(code):
            spec = catalogue.get(code)
            return spec.decimals if spec else 1

        out: dict[str, dict[str, tuple[str, np.ndarray]]] = {}

        def put(code, array, kind="flow", member=""):
            out.setdefault(code, {})[member] = (kind, np.asarray(array, dtype=np.int64))

        # economy -----------------------------------------------------------------------
        gdp_m = _units(monthly(gdp_year, 0.5, 0.03), dec("GDP"))
        gdp_q = gdp_m.reshape(4, 3).sum(axis=1)
        put("GDP", gdp_q)
        iva_q = np.minimum(np.round(gdp_q * p["iva_share"] * rng.uniform(0.9, 1.1, 4)),
                           gdp_q).astype(np.int64)
        put("IND_VALUE_ADDED", iva_q)
        real = (np.exp(self.growth(year)) - 1) * 100 - p["deflator"]
        growth_q = np.round((real + rng.normal(0, 1.0, 4) / np.arange(1, 5)) * 10)
        put("GDP_GROWTH", growth_q, "level")
        ind_out = monthly(gdp_year * p["iva_share"] / 0.27, 1.0, 0.08)
        ind_u = _units(ind_out, dec("IND_OUTPUT"))
        put("IND_OUTPUT", ind_u)
        above_u = np.round(ind_u * p["above_share"] * rng.uniform(0.95, 1.0, 12)) \
            .astype(np.int64)
        put("ABOVE_SCALE_IND_OUTPUT", above_u)
        put("ABOVE_SCALE_IND_PROFIT",
            np.round(above_u * p["margin"] * rng.lognormal(0, 0.3, 12)).astype(np.int64))
        put("LANDED_PROCESSING",
            np.round(ind_u * p["landed"] * rng.uniform(0.9, 1.1, 12)).astype(np.int64))
        fiscal_u = _units(monthly(gdp_year * p["fiscal"], 1.0, 0.1), dec("FISCAL_REVENUE"))
        put("FISCAL_REVENUE", fiscal_u)
        tax_u = np.minimum(np.round(fiscal_u * p["tax"] * rng.uniform(0.95, 1.05, 12)),
                           fiscal_u).astype(np.int64)
        put("TAX_REVENUE", tax_u)
        put("IND_TAX_REVENUE",
            np.round(tax_u * p["ind_tax"] * rng.uniform(0.9, 1.1, 12)).astype(np.int64))
        put("RETAIL_SALES", _units(monthly(gdp_year * p["retail"], 0.8), dec("RETAIL_SALES")))

        # opening -----------------------------------------------------------------------
        trade_u = _units(monthly(gdp_year * p["trade"], 1.0, 0.12), dec("TRADE_TOTAL"))
        put("TRADE_TOTAL", trade_u)
        export_share = np.clip(p["export"] + rng.normal(0, 0.05, 12), 0.05, 0.95)
        export_u = np.round(trade_u * export_share).astype(np.int64)
        put("EXPORT", export_u)
        put("IMPORT", trade_u - export_u)
        border_share = np.clip(p["border"] + rng.normal(0, 0.04, 12), 0.05, 0.95)
        border_u = np.round(trade_u * border_share).astype(np.int64)
        put("BORDER_TRADE", border_u)
        small_share = np.clip(p["small"] + rng.normal(0, 0.05, 12), 0.05, 0.95)
        small_u = np.round(border_u * small_share).astype(np.int64)
        put("BORDER_SMALL_TRADE", small_u)
        put("BORDER_RESIDENT_TRADE", border_u - small_u)
        partner = catalogue.get("TRADE_BY_PARTNER")
        if partner is not None and partner.disaggregation:
            codes = members(partner.disaggregation)
            weights = self._partner_weights(partner.disaggregation, codes, rng)
            rest = codes.index("OTHER") if "OTHER" in codes else len(codes) - 1
            parts = _split(trade_u, weights, rest)
            for i, code in enumerate(codes):
                put("TRADE_BY_PARTNER", parts[:, i], member=code)
        fdi_months = (rng.random(12) < 0.55) * rng.gamma(1.0, 1.0, 12)
        if fdi_months.sum() == 0:
            fdi_months[int(rng.integers(12))] = 1.0
        fdi_total = gdp_year * p["fdi"] / 7.0  # 万美元
        put("FDI_USED", _units(fdi_total * fdi_months / fdi_months.sum() * active,
                               dec("FDI_USED")))
        ecommerce = p["ecommerce"] * np.exp(0.25 * (year - _REFERENCE_YEAR))
        put("CROSS_BORDER_ECOMMERCE",
            np.round(trade_u * min(ecommerce, 0.4) * rng.uniform(0.8, 1.2, 12))
            .astype(np.int64))

        # investment --------------------------------------------------------------------
        fai_u = _units(monthly(gdp_year * p["fai"], 2.0, 0.1), dec("FAI"))
        put("FAI", fai_u)
        put("MAJOR_PROJECT_INVEST",
            np.minimum(np.round(fai_u * p["major"] * rng.uniform(0.9, 1.05, 12)), fai_u)
            .astype(np.int64))
        signings = rng.gamma(0.6, 1.0, 12) * active
        attracted = gdp_year * p["attracted"] * signings / max(signings.sum(), 1e-9)
        put("INVEST_ATTRACTED", _units(attracted, dec("INVEST_ATTRACTED")))
        put("INVEST_IN_PLACE", _units(monthly(gdp_year * p["attracted"] * p["in_place"], 1.0,
                                              0.2), dec("INVEST_IN_PLACE")))
        projects = p["projects"] * np.sqrt(size * lvl)
        started = rng.poisson(projects * 0.6 / 12 * _SEASON / _SEASON.mean()) * active
        put("MAJOR_PROJECTS_STARTED", started)
        put("MAJOR_PROJECTS", (np.round(projects * rng.uniform(0.8, 1.0)) + np.cumsum(started))
            * (active > 0), "level")
        put("POLICY_BANK_LOANS", _units([gdp_year * p["loans"] * (rng.random() < 0.6)
                                         * rng.uniform(0.5, 1.5)], dec("POLICY_BANK_LOANS")))

        # logistics ---------------------------------------------------------------------
        freight = trade_u / 10 ** dec("TRADE_TOTAL") / p["value_per_ton"]
        put("PORT_FREIGHT", _units(freight * rng.uniform(0.9, 1.1, 12), dec("PORT_FREIGHT")))
        passengers = monthly(p["passengers"] * np.sqrt(size * lvl), 0.6, 0.08)
        put("CROSS_BORDER_PASSENGERS", _units(passengers * _border_open(year),
                                              dec("CROSS_BORDER_PASSENGERS")))

        # enterprises and jobs (quarter-end stocks) --------------------------------------
        years_on = year - _REFERENCE_YEAR + np.arange(1, 5) / 4
        ent = p["enterprises"] * size ** 0.6 * np.exp(0.08 * years_on) \
            * rng.lognormal(0, 0.01, 4)
        ent_q = np.round(ent).astype(np.int64)
        put("ENTERPRISES", ent_q, "level")
        put("NEW_ENTERPRISES", rng.poisson(ent * 0.15 / 4), "flow")
        put("ABOVE_SCALE_IND_ENT", np.round(ent * p["above_ent"]), "level")
        put("EMPLOYEES", np.round(ent * p["employees"] * rng.lognormal(0, 0.01, 4)), "level")
        put("SAFETY_INCIDENTS", rng.poisson(0.3, 4))
        year_end = int(ent_q[-1])
        size_spec = catalogue.get("ENTERPRISES_BY_SIZE")
        if size_spec is not None and size_spec.disaggregation:
            codes = members(size_spec.disaggregation)
            shares = np.array([0.02, 0.08, 0.3, 0.6][:len(codes)] + [0.1] * (len(codes) - 4))
            parts = _split(np.array([year_end]), shares * rng.uniform(0.8, 1.2, len(codes)),
                           len(codes) - 1)[0]
            for i, code in enumerate(codes):
                put("ENTERPRISES_BY_SIZE", [parts[i]], "level", member=code)
        employees_end = year_end * p["employees"]
        put("ANCHOR_FIRMS", [max(1, round(year_end * p["anchor"]))], "level")
        put("NEW_URBAN_JOBS", [round(employees_end * rng.uniform(0.05, 0.12))])
        put("LOGISTICS_ENTERPRISES", [round(year_end * p["logistics"])], "level")
        put("OVERSEAS_WAREHOUSES", [round(p["warehouses"] + 0.8 * max(0, year - 2019)
                                          * size ** 0.3)], "level")
        put("HIGH_TECH_ENT", [round(year_end * p["high_tech"])], "level")
        put("RD_INSTITUTIONS", [round(p["rd_inst"] * np.sqrt(lvl))], "level")

        # land, innovation, green, governance ---------------------------------------------
        area = self.spec.area_km2 or p["area"]
        developed = area * min(0.95, p["developed"] + 0.03 * (year - _REFERENCE_YEAR))
        put("DEVELOPED_AREA", _units([developed], dec("DEVELOPED_AREA")), "level")
        land_u = _units([developed * 1500 * p["supplied"]], dec("LAND_IN_USE"))  # 亩
        put("LAND_IN_USE", land_u, "level")
        land = land_u[0] / 10 ** dec("LAND_IN_USE")
        put("LAND_INVEST_INTENSITY", _units([p["land_invest"] * lvl ** 0.3
                                             * rng.lognormal(0, 0.05)],
                                            dec("LAND_INVEST_INTENSITY")), "level")
        tax_year = tax_u.sum() / 10 ** dec("TAX_REVENUE")
        put("LAND_TAX_INTENSITY", _units([tax_year / land if land else 0],
                                         dec("LAND_TAX_INTENSITY")), "level")
        gdp_units_year = int(gdp_q.sum())
        rd_u = round(gdp_units_year * p["rd"] * float(rng.lognormal(0, 0.1)))
        put("RD_EXPENDITURE", [rd_u])
        rd_scale = 10 ** dec("RD_INTENSITY") * 100 * 10 ** dec("GDP") / 10 ** dec("RD_EXPENDITURE")
        put("RD_INTENSITY", [round(rd_u / gdp_units_year * rd_scale) if gdp_units_year else 0],
            "level")
        put("ENERGY_INTENSITY", _units([p["energy"] * 0.97 ** (year - _REFERENCE_YEAR)
                                        * rng.lognormal(0, 0.05)], dec("ENERGY_INTENSITY")),
            "level")
        put("SOLID_WASTE_UTIL", _units([p["waste"] + (year - _REFERENCE_YEAR)
                                        + rng.normal(0, 2)], dec("SOLID_WASTE_UTIL")), "level")
        put("COOP_PARKS", [int(p["coop"] + p["coop_slope"] * (year - _REFERENCE_YEAR))], "level")
        sessions = int(rng.poisson(p["training"]))
        put("TRAINING_SESSIONS", [sessions])
        put("PEOPLE_TRAINED", [int(rng.poisson(sessions * p["per_session"]))])
        put("POLICY_DOCS", [int(rng.poisson(p["policy_docs"]))])

        for code, spec in catalogue.items():
            if code not in out:
                self._generic(spec, year, active, gdp_year, put)
        return out

    def _partner_weights(self, disaggregation, codes, rng) -> np.ndarray:
        """Most trade with the neighbouring countries, a little elsewhere, the rest "other"."""
        names = {code: zh for code, zh, _en in DISAGGREGATIONS[disaggregation]["members"]}
        neighbours = [i for i, c in enumerate(codes) if names.get(c) in self.spec.neighbours]
        weights = np.zeros(len(codes))
        base = _rng(self.seed, self.spec.code, "partners")
        if neighbours:
            weights[neighbours] = 0.72 * base.dirichlet(np.full(len(neighbours), 2.0))
        for i, code in enumerate(codes):
            if i not in neighbours and code != "OTHER" and base.random() < 0.35:
                weights[i] = base.uniform(0.002, 0.03)
        weights = weights * rng.lognormal(0, 0.1, len(codes))
        rest = codes.index("OTHER") if "OTHER" in codes else len(codes) - 1
        weights[rest] = max(0.03, 1 - weights.sum())
        return weights

    def _generic(self, spec: IndicatorSpec, year, active, gdp_year, put) -> None:
        """Plausible series for an indicator the demo has no specific model of."""
        rng = _rng(self.seed, self.spec.code, year, spec.code)
        n = _PERIODS_PER_YEAR.get(spec.frequency, 1)
        factor = 10 ** spec.decimals
        size = self.scale * self.level(year)
        if spec.time_behaviour == "flow_ytd":
            per_month = (gdp_year * 0.01 if spec.value_type != "integer" else 3 * size ** 0.5) \
                / 12 * _SEASON * active * rng.lognormal(0, 0.1, 12)
            if spec.value_type == "integer":
                per_month = rng.poisson(per_month)
            flows = np.asarray(per_month, dtype=float).reshape(n, -1).sum(axis=1)
            put(spec.code, _units(flows, spec.decimals))
            return
        if spec.time_behaviour == "stock":
            levels = 100 * size ** 0.5 * rng.lognormal(0, 0.03, n)
        else:
            low = spec.min_value if spec.min_value is not None else 0.0
            high = spec.max_value if spec.max_value is not None else low + 20.0
            levels = rng.uniform(low + 0.2 * (high - low), low + 0.8 * (high - low), n)
        if spec.value_type == "integer":
            factor = 1
        array = np.round(levels * factor).astype(np.int64)
        for code in members(spec.disaggregation):
            put(spec.code, array.copy(), "level", member=code)


def _border_open(year: int) -> np.ndarray:
    """How open the border ports were each month (closures from February 2020 to 2023)."""
    if year == 2020:
        return np.array([1.0, 0.5] + [0.1] * 10)
    if year in (2021, 2022):
        return np.full(12, 0.06)
    if year == 2023:
        return np.linspace(0.25, 0.85, 12)
    return np.ones(12)


# --- the table of values ----------------------------------------------------------------


def generate_values(zones: Sequence[ZoneSpec], forms: Sequence[FormSpec],
                    catalogues: Mapping[int, Mapping[str, IndicatorSpec]], *,
                    seed: int = DEFAULT_SEED, years: Iterable[int] = DEFAULT_YEARS,
                    today: dt.date | None = None) -> pd.DataFrame:
    """Every value of every zone × assigned form × period × indicator × breakdown member.

    Pure: the same arguments give the same table. Periods that end on or after ``today``
    are left out, as are periods in which the zone did not exist. Columns: zone, form,
    period, indicator, member, value (text with the indicator's decimals), planted (True
    for the deliberately implausible cells).
    """
    today = today or dt.date.max
    rows: list[tuple] = []
    for zone_spec in sorted(zones, key=lambda z: z.code):
        zone = _Zone(zone_spec, seed)
        for year in sorted(set(years)):
            catalogue = catalogues.get(year)
            if catalogue is None or year not in zone_spec.active_years:
                continue
            sim = zone.simulate(year, catalogue)
            active = zone.active_months(year)
            cells = []  # (form, period, spec, member, kind, array, period index)
            for form in sorted(forms, key=lambda f: f.code):
                if zone_spec.code not in form.zones:
                    continue
                n = _PERIODS_PER_YEAR[form.frequency]
                for index in range(n):
                    period = Period(form.frequency, year, index + 1 if n > 1 else 1)
                    months = active[period.start.month - 1:period.last_month]
                    if period.end >= today or not months.any():
                        continue
                    for code in form.indicator_codes:
                        spec = catalogue.get(code)
                        if spec is None or spec.frequency != form.frequency:
                            continue
                        for member in members(spec.disaggregation):
                            kind, array = sim[code][member]
                            cells.append((form.code, period.code, spec, member, kind, array,
                                          index))
            planted = _plant(cells, _rng(seed, zone_spec.code, year, "spikes"))
            cumulated: dict[int, np.ndarray] = {}
            for i, (form_code, period_code, spec, member, kind, array, index) in \
                    enumerate(cells):
                if kind == "flow" and spec.time_behaviour == "flow_ytd":
                    totals = cumulated.get(id(array))
                    if totals is None:
                        totals = cumulated[id(array)] = np.cumsum(array)
                    units = int(totals[index])
                else:
                    units = int(array[index])
                units = _bounded(units, spec)
                rows.append((zone_spec.code, form_code, period_code, spec.code, member,
                             _format(units, 0 if spec.value_type == "integer"
                                     else spec.decimals), i in planted))
    return pd.DataFrame.from_records(rows, columns=COLUMNS)


def _plant(cells: list, rng: np.random.Generator) -> set[int]:
    """Multiply a few period flows or levels by ten, in place; return the cells marked.

    A flow's spike lifts the year-to-date values from that period on (still never falling);
    only indicators outside the kept identities and without a maximum are touched.
    """
    eligible = [i for i, (_f, _p, spec, member, _k, array, index) in enumerate(cells)
                if spec.code in SPIKE_CODES and not member and spec.max_value is None
                and array[index] > 0]
    count = min(len(eligible), int(rng.binomial(len(cells), SPIKE_SHARE)))
    chosen = rng.choice(len(eligible), size=count, replace=False) if count else []
    marked = set()
    for pick in sorted(int(c) for c in chosen):
        i = eligible[pick]
        _f, _p, _spec, _m, _k, array, index = cells[i]
        array[index] *= SPIKE_FACTOR
        marked.add(i)
    return marked


def _bounded(units: int, spec: IndicatorSpec) -> int:
    factor = 1 if spec.value_type == "integer" else 10 ** spec.decimals
    if spec.min_value is not None:
        units = max(units, int(np.ceil(spec.min_value * factor)))
    if spec.max_value is not None:
        units = min(units, int(np.floor(spec.max_value * factor)))
    return units


# --- the database side ------------------------------------------------------------------

RETURN_REASONS = (
    "部分指标同比波动较大,请核实并在说明中补充原因后重新报送。",
    "固定资产投资数据与统计部门口径不一致,请核对后重新报送。",
    "边民互市贸易额请以海关统计数据为准核实后重新报送。",
    "请补充重点项目开工情况说明后重新报送。",
    "税收收入请与税务部门数据核对一致后重新报送。",
)
MINISTRY_RETURN_REASON = "请省级商务主管部门会同园区复核实际使用外资数据后重新报送。"
_TZ = ZoneInfo("Asia/Shanghai")
#: Final status shares by how recent the period is (0: the newest of its form).
_STATUS_SHARES = {
    0: ((Status.DRAFT, 0.2), (Status.SUBMITTED, 0.3), (Status.RETURNED, 0.15),
        (Status.APPROVED, 0.2), (Status.ACCEPTED, 0.15)),
    1: ((Status.DRAFT, 0.05), (Status.SUBMITTED, 0.15), (Status.RETURNED, 0.05),
        (Status.APPROVED, 0.35), (Status.ACCEPTED, 0.4)),
    "past": ((Status.RETURNED, 0.01), (Status.SUBMITTED, 0.005), (Status.APPROVED, 0.02),
             (Status.ACCEPTED, 0.965)),
}
LATE_SHARE = 0.12
RETURN_HISTORY_SHARE = 0.06  # returned once by the province, then resubmitted
MINISTRY_RETURN_SHARE = 0.015  # returned once by the ministry after approval
_STAMPED = ["first_submitted_at", "submitted_at", "approved_at", "accepted_at"]
_LEVEL_OF = {"submit": "zone", "return": "province", "approve": "province",
             "accept": "ministry", "ministry_return": "ministry"}


class DemoDataError(Exception):
    """The demo data cannot be built (missing demo users, or ingest refused a value)."""


def database_specs(years: Iterable[int]) -> tuple[list[ZoneSpec], list[FormSpec],
                                                  dict[int, dict[str, IndicatorSpec]]]:
    """The registry's zones, the active report forms and each year's catalogue, as specs."""
    years = list(years)
    active: dict[str, set[int]] = {}
    units = {}
    for year in years:
        for unit in OrgUnit.objects.zones().active_in_year(year).select_related("parent"):
            active.setdefault(unit.code, set()).add(year)
            units[unit.code] = unit
    zones = [ZoneSpec(code=code, province=unit.parent.code if unit.parent_id else "",
                      neighbours=tuple(unit.neighbour_countries or ()),
                      active_years=frozenset(active[code]), valid_from=unit.valid_from,
                      valid_to=unit.valid_to,
                      area_km2=float(unit.area_km2) if unit.area_km2 else None)
             for code, unit in sorted(units.items())]
    forms = [FormSpec(code=form.code, frequency=form.frequency,
                      indicator_codes=tuple(form.indicator_codes),
                      zones=frozenset(z.code for z in form.zones.all()))
             for form in ReportForm.objects.filter(is_active=True).prefetch_related("zones")]
    catalogues: dict[int, dict[str, IndicatorSpec]] = {}
    for ind in Indicator.objects.filter(version__year__in=years).select_related("version"):
        catalogues.setdefault(ind.version.year, {})[ind.code] = IndicatorSpec(
            code=ind.code, frequency=ind.frequency, time_behaviour=ind.time_behaviour,
            value_type=ind.value_type, decimals=ind.decimals,
            min_value=None if ind.min_value is None else float(ind.min_value),
            max_value=None if ind.max_value is None else float(ind.max_value),
            disaggregation=ind.disaggregation)
    return zones, forms, catalogues


def reporter_username(zone_code: str) -> str:
    return f"demo-reporter-{zone_code.lower()}"


def reviewer_username(province_code: str) -> str:
    return f"demo-reviewer-{province_code.split('-')[-1].lower()}"


def build_demo_data(*, seed: int = DEFAULT_SEED, years: Iterable[int] = DEFAULT_YEARS,
                    today: dt.date | None = None) -> dict:
    """Write seeded demo statistics for ``years`` and walk the reports through the workflow.

    1. Creates each year's catalogue and the default report forms when missing.
    2. Generates the values with :func:`generate_values` and writes them through
       :func:`bianhe.reporting.ingest.ingest` as the platform (``actor=None``, source
       "system"), one batch per year, then marks the new reports ``is_demo``.
    3. Moves every new report through the real workflow actions
       (:func:`bianhe.reporting.actions.do_transition`) as the demo users created by
       ``bianhe.cli.ensure_demo_users`` (reporter submits, province reviewer approves or
       returns with a reason, ``demo-admin`` accepts), so the audit log has the full trail.
       The newest periods of each form are left in every state (draft, submitted,
       returned, approved, accepted); older ones are mostly accepted, some were returned
       once and resubmitted, some were submitted after the deadline.
    4. Because the actions stamp "now", it then sets historical ``first_submitted_at``,
       ``submitted_at``, ``approved_at`` and ``accepted_at`` with a queryset update. Only
       the demo does this: everywhere else those fields are written by the actions alone.
       The audit rows keep their true time (when the demo was built).

    Idempotent: a year that has demo reports already is skipped, and a zone × form ×
    period that has any report is never touched. Everything happens in one transaction.
    Returns counts (values, planted values, reports per status, late reports, …).
    """
    started = time.perf_counter()
    today = today or timezone.localdate()
    years = sorted(y for y in set(years) if dt.date(y, 1, 1) <= today)
    counts: dict = {"seed": seed, "years": [], "skipped_years": [], "values": 0,
                    "planted": 0, "reports": 0, "statuses": {}, "late": 0,
                    "transitions": 0}
    with transaction.atomic():
        for year in years:
            load_catalogue(year, source=Source.SYSTEM)
        latest = CatalogVersion.objects.order_by("-year").first()
        ensure_default_forms(latest, source=Source.SYSTEM)
        ensure_default_rules(source=Source.SYSTEM)
        done = {int(p[:4]) for p in Report.objects.filter(is_demo=True)
                .values_list("period", flat=True).distinct()}
        todo = [y for y in years if y not in done]
        counts["skipped_years"] = [y for y in years if y in done]
        counts["years"] = todo
        if not todo:
            counts["seconds"] = round(time.perf_counter() - started, 2)
            return counts
        zones, forms, catalogues = database_specs(todo)
        users = _demo_users(zones)
        frame = generate_values(zones, forms, catalogues, seed=seed, years=todo, today=today)
        if frame.empty:
            counts["seconds"] = round(time.perf_counter() - started, 2)
            return counts
        existing = set(Report.objects.filter(period__in=frame["period"].unique())
                       .values_list("zone__code", "form__code", "period"))
        if existing:
            keep = [k not in existing for k in zip(frame["zone"], frame["form"],
                                                   frame["period"], strict=True)]
            frame = frame[keep]
        frame = frame.assign(year=frame["period"].str[:4])
        reports: list[Report] = []
        for year, part in frame.groupby("year", sort=True):
            result = ingest(part[["zone", "period", "indicator", "member", "value"]],
                            actor=None, source=Source.SYSTEM, today=today,
                            label=f"演示数据 {year}")
            if not result.ok:
                listed = "; ".join(f"{p.location} {p.indicator}: {p.message}"
                                   for p in result.problems[:10])
                raise DemoDataError(f"ingest refused {result.problem_count} demo value(s) "
                                    f"of {year}: {listed}")
            # The reports of exactly the cells just written (none of them existed before).
            keys = set(zip(part["zone"], part["form"], part["period"], strict=True))
            written = [r for r in Report.objects.filter(period__in={k[2] for k in keys})
                       .select_related("zone", "form")
                       if (r.zone.code, r.form.code, r.period) in keys]
            Report.objects.filter(pk__in=[r.pk for r in written]).update(is_demo=True)
            reports += written
        # Nothing is stamped later than ``today`` (end of its working day) or than now.
        now = min(timezone.now(), dt.datetime.combine(today, dt.time(18), tzinfo=_TZ))
        reports, transitions = _run_workflow(reports, users, seed=seed, now=now)
        statuses = Counter(str(r.status) for r in reports)
        late = sum(1 for r in reports if r.is_late)
        counts.update(values=len(frame), planted=int(frame["planted"].sum()),
                      reports=len(reports), statuses=dict(sorted(statuses.items())),
                      late=late, transitions=transitions)
        record(actor=None, action="reporting.demo.build", object_type="reporting.report",
               object_repr=f"演示数据 {todo[0]}–{todo[-1]}", source=Source.SYSTEM,
               after={k: v for k, v in counts.items() if k != "skipped_years"})
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts


def _demo_users(zones: Sequence[ZoneSpec]) -> dict[str, object]:
    from bianhe.accounts.models import User

    wanted = {"demo-admin"} | {reporter_username(z.code) for z in zones} \
        | {reviewer_username(z.province) for z in zones}
    users = {u.username: u for u in User.objects.filter(username__in=wanted, is_active=True)}
    missing = sorted(wanted - set(users))
    if missing:
        raise DemoDataError("demo users missing (create them with "
                            f"bianhe.cli.ensure_demo_users()): {', '.join(missing)}")
    return users


def _recency(reports: Sequence[Report]) -> dict[int, int | str]:
    """0 for a report of its form's newest period, 1 for the two before, else "past"."""
    periods: dict[int, list[Period]] = {}
    for report in reports:
        periods.setdefault(report.form_id, []).append(report.period_obj)
    order = {form: sorted(set(ps), reverse=True) for form, ps in periods.items()}
    rank = {}
    for report in reports:
        position = order[report.form_id].index(report.period_obj)
        rank[report.pk] = 0 if position == 0 else 1 if position <= 2 and \
            report.form.frequency == MONTHLY else "past"
    return rank


def _stamp(day: dt.date, rng: np.random.Generator) -> dt.datetime:
    """A working-hours moment of ``day`` in Beijing time (09:00–17:59, same UTC date)."""
    return dt.datetime.combine(day, dt.time(int(rng.integers(9, 18)), int(rng.integers(60))),
                               tzinfo=_TZ)


def plan_report(report: Report, rank: int | str, *, seed: int,
                now: dt.datetime) -> tuple[list[tuple[str, str]], dict[str, dt.datetime]]:
    """The transitions (name, reason) a demo report goes through and its historical times."""
    rng = _rng(seed, "workflow", report.zone.code, report.form.code, report.period)
    shares = _STATUS_SHARES[rank]
    u, final = rng.random(), shares[-1][0]
    for status, share in shares:
        if u < share:
            final = status
            break
        u -= share
    late, history = rng.random() < LATE_SHARE, rng.random()
    reason = RETURN_REASONS[int(rng.integers(len(RETURN_REASONS)))]
    offset = int(rng.integers(1, 31)) if late else -int(rng.integers(0, 10))
    moment = _stamp(report.deadline + dt.timedelta(days=offset), rng)
    if final == Status.DRAFT or moment > now:
        return [], {}

    def later(low: int, high: int) -> dt.datetime:
        nonlocal moment
        moment = min(_stamp(moment.date() + dt.timedelta(days=int(rng.integers(low, high))),
                            rng), now)
        return moment

    steps = [("submit", "")]
    stamps = {"first_submitted_at": moment, "submitted_at": moment}
    if final != Status.RETURNED and history < RETURN_HISTORY_SHARE:
        later(1, 5)
        steps += [("return", reason), ("submit", "")]
        stamps["submitted_at"] = later(1, 7)
    if final == Status.RETURNED:
        later(1, 5)
        steps.append(("return", reason))
    if final in (Status.APPROVED, Status.ACCEPTED):
        steps.append(("approve", ""))
        stamps["approved_at"] = later(1, 7)
    if final == Status.ACCEPTED:
        if history > 1 - MINISTRY_RETURN_SHARE:
            later(2, 10)
            steps += [("ministry_return", MINISTRY_RETURN_REASON), ("submit", ""),
                      ("approve", "")]
            stamps["submitted_at"] = later(1, 6)
            stamps["approved_at"] = later(1, 5)
        steps.append(("accept", ""))
        stamps["accepted_at"] = later(3, 26)
    return steps, stamps


def _run_workflow(reports: Sequence[Report], users: Mapping[str, object], *, seed: int,
                  now: dt.datetime) -> tuple[list[Report], int]:
    """Every planned transition through the real action, then the historical times.

    Returns the reports as they end up, and the number of transitions made.
    """
    rank = _recency(reports)
    transitions = 0
    # The checks run once over every new report; the planted values raise warnings, which
    # the demo reporters explain before submitting (errors would stop the demo: none occur).
    check_reports([r.pk for r in reports])
    flagged = set(Flag.objects.filter(report__in=reports, severity=Severity.WARNING)
                  .values_list("report_id", flat=True))
    final, stamped = [], []
    admin = users["demo-admin"]
    for report in sorted(reports, key=lambda r: (r.period_obj, r.form.code, r.zone.path)):
        steps, stamps = plan_report(report, rank[report.pk], seed=seed, now=now)
        actors = {"zone": users[reporter_username(report.zone.code)],
                  "province": users[reviewer_username(report.province_code)],
                  "ministry": admin}
        current = report
        for name, reason in steps:
            if name == "submit" and current.pk in flagged:
                explain_flags(current, actors["zone"])
            elif name == "approve" and current.pk in flagged:
                accept_explanations(current, actors["province"])
            current = do_transition(actors[_LEVEL_OF[name]], current, name, reason=reason,
                                    source=Source.SYSTEM)
            transitions += 1
        if stamps:
            for name in _STAMPED:
                setattr(current, name, stamps.get(name))
            stamped.append(current)
        final.append(current)
    Report.objects.bulk_update(stamped, _STAMPED, batch_size=500)
    return final, transitions
