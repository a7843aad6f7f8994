"""Rates and ratios: 同比/环比 of a percentage is a difference in 百分点; a zone's own
rate is always shown, only the cross-zone total of a rate that is not aggregated is
withheld; other ratios grow in % on the aggregated ratio over the comparable zones."""

from __future__ import annotations

import io
import math
from urllib.parse import urlencode

import pandas as pd
import pytest
from openpyxl import load_workbook

from analytics_data import put
from bianhe.analytics.queries import run
from bianhe.analytics.query import Query
from bianhe.catalog.models import Indicator
from bianhe.formatting import is_percent_unit

GX1, GX2, XJ1 = "BECZ-GX-01", "BECZ-GX-02", "BECZ-XJ-01"
PIVOT, EXPORT = "/analytics/pivot/", "/analytics/pivot/export/"
POINTS = "个百分点"

#: indicator -> (its period code in 2024 and 2025, {zone: (2024, 2025)}, zone-level 同比)
RATES = {
    "GDP_GROWTH": ("Q4", {GX1: (20, 4.9), GX2: (6, 7)}, {GX1: -15.1, GX2: 1.0}),
    "RD_INTENSITY": ("", {GX1: (2, 2.5), GX2: (1, 1.5)}, {GX1: 0.5, GX2: 0.5}),
    "SOLID_WASTE_UTIL": ("", {GX1: (80, 85.5)}, {GX1: 5.5}),
}


@pytest.fixture
def rates(catalogue):
    values = {}
    for code, (suffix, zones, _yoy) in RATES.items():
        for zone, (before, now) in zones.items():
            values[(zone, f"2024{suffix}", code)] = before
            values[(zone, f"2025{suffix}", code)] = now
    # Weights: GDP for R&D intensity, industrial value added for energy intensity.
    values.update({(GX1, "2024Q4", "GDP"): 100, (GX1, "2025Q4", "GDP"): 200,
                   (GX2, "2024Q4", "GDP"): 100, (GX2, "2025Q4", "GDP"): 100,
                   (XJ1, "2025Q4", "GDP"): 100, (XJ1, "2025", "RD_INTENSITY"): 3,
                   (GX1, "2024", "ENERGY_INTENSITY"): 0.5, (GX1, "2025", "ENERGY_INTENSITY"): 0.45,
                   (GX2, "2025", "ENERGY_INTENSITY"): 0.9,
                   (GX1, "2024Q4", "IND_VALUE_ADDED"): 100,
                   (GX1, "2025Q4", "IND_VALUE_ADDED"): 100,
                   (GX2, "2025Q4", "IND_VALUE_ADDED"): 50})
    put(values)


def figures(result) -> dict[str, float]:
    return {row.unit: row.value for row in result.frame.itertuples()
            if not math.isnan(row.value)}


def ask(user, code, **kwargs):
    query = {"indicators": (code,), "level": "zone", "start": "2025", "end": "2025", **kwargs}
    return run(user, Query(**query))


@pytest.mark.parametrize("code", list(RATES))
def test_a_zones_yoy_of_a_rate_is_a_difference_in_points(people, rates, code):
    percent = {i.code for i in Indicator.objects.all() if is_percent_unit(i.unit)}
    assert percent == set(RATES)  # every rate indicator of the catalogue is tested
    result = ask(people["ministry_admin"], code, measure="yoy")
    assert figures(result) == pytest.approx(RATES[code][2])
    assert result.measure_units[code] == POINTS


@pytest.mark.parametrize("code", ["GDP_GROWTH", "SOLID_WASTE_UTIL"])
def test_a_rate_that_is_not_aggregated_shows_each_zones_own_figure(people, rates, code):
    result = ask(people["ministry_admin"], code)
    assert figures(result) == {zone: now for zone, (_b, now) in RATES[code][1].items()}
    total = ask(people["ministry_admin"], code, level="all")
    assert figures(total) == {}
    name = Indicator.objects.filter(code=code).first().name_zh
    assert any(note.startswith(name) for note in total.footnotes)


def test_the_yoy_of_an_aggregated_rate_is_the_difference_of_comparable_weighted_means(
        people, rates):
    result = ask(people["ministry_admin"], "RD_INTENSITY", level="all", measure="yoy")
    # XJ1 has no 2024 figure: the basis is GX1 and GX2 in both years.
    now = (2.5 * 200 + 1.5 * 100) / 300
    before = (2 * 100 + 1 * 100) / 200
    row = result.frame.iloc[0]
    assert row.value == pytest.approx(now - before)
    assert (row.included, row.expected) == (2, 20)
    assert result.measure_units["RD_INTENSITY"] == POINTS
    level = ask(people["ministry_admin"], "RD_INTENSITY", level="all")
    assert figures(level)["ALL"] == pytest.approx((500 + 150 + 300) / 400)


def test_other_ratios_grow_in_percent_on_the_comparable_aggregated_ratio(people, rates):
    zone = ask(people["ministry_admin"], "ENERGY_INTENSITY", measure="yoy")
    assert figures(zone) == pytest.approx({GX1: -10.0})
    total = ask(people["ministry_admin"], "ENERGY_INTENSITY", level="all", measure="yoy")
    assert figures(total) == pytest.approx({"ALL": -10.0})  # GX2 has no 2024: not counted
    assert total.measure_units["ENERGY_INTENSITY"] == "%"
    share = ask(people["ministry_admin"], "ENERGY_INTENSITY", level="all", measure="share")
    name = Indicator.objects.filter(code="ENERGY_INTENSITY").first().name_zh
    assert figures(share) == {} and any(note.startswith(name) for note in share.footnotes)


def page_query(code: str, **extra) -> str:
    return urlencode({"indicator": code, "level": "zone", "granularity": "year",
                      "start": "2025", "end": "2025", "measure": "yoy", "unit": GX1,
                      **extra}, doseq=True)


@pytest.mark.parametrize("code", list(RATES))
def test_every_output_gives_the_points_of_a_rate(client_for, rates, code):
    client = client_for("ministry_admin")
    expected = RATES[code][2][GX1]
    decimals = 2 if code == "RD_INTENSITY" else 1
    shown = f"{expected:.{decimals}f}"
    page = client.get(f"{PIVOT}?{page_query(code)}").content.decode()
    table = page[page.index('id="pivot-table"'):page.index("</table>")]
    assert f"计量单位：{POINTS}" in table and f">{shown}<" in table
    sheet = load_workbook(io.BytesIO(client.get(
        f"{EXPORT}?{page_query(code)}&format=xlsx").content)).active
    texts = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert f"计量单位：{POINTS}" in texts
    assert pytest.approx(expected) in [v for v in texts if isinstance(v, float)]
    content = client.get(f"{EXPORT}?{page_query(code)}&format=csv").content
    frame = pd.read_csv(io.BytesIO(content), comment="#", encoding="utf-8-sig", index_col=0)
    assert frame.iloc[0, 0] == pytest.approx(expected)
    assert f"# 计量单位：{POINTS}" in content.decode("utf-8-sig")
    body = client.get(f"/api/v1/analytics/query?{page_query(code)}").json()
    assert body["units_of_measure"] == {code: POINTS}
    assert [o["value"] for o in body["observations"]] == [pytest.approx(expected)]
