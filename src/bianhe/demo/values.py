"""The generator of the synthetic demo statistics (演示数据): no database.

:func:`generate_values` is a pure function (numpy and pandas) that turns zone, form and
indicator descriptions into a table of values; :mod:`bianhe.demo.build` reads those
descriptions from the database and writes the values through the one ingest path.

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
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bianhe.catalog.disaggregations import DISAGGREGATIONS, members
from bianhe.periods import ANNUAL, MONTHLY, QUARTERLY, Period

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
