"""SDMX publication of observations, read back with the sdmx1 package (import ``sdmx``).

Every document the module writes is parsed by an independent SDMX implementation, and the
values it recovers are compared with the input: what a statistical office's tool would
see is what we meant to publish.
"""

import datetime as dt
import io
import math
import re

import pandas as pd
import pytest
import sdmx
from hypothesis import given
from hypothesis import strategies as st
from sdmx.model import common, v21

from bianhe.analytics.sdmx import (
    COLUMNS,
    csv_message,
    format_value,
    generic_data_message,
    sdmx_time_period,
    structure_message,
)

PREPARED = dt.datetime(2024, 7, 15, 9, 30, tzinfo=dt.UTC)
KEY = ["FREQ", "REF_AREA", "INDICATOR", "BREAKDOWN", "TIME_PERIOD"]

CODELISTS = {
    "CL_AREA": {
        "BECZ-GX-01": ("东兴边境经济合作区", "Dongxing Border Economic Cooperation Zone"),
        "BECZ-GX-02": ("凭祥边境经济合作区", "Pingxiang Border Economic Cooperation Zone"),
        "CN-GX": ("广西壮族自治区", "Guangxi Zhuang Autonomous Region"),
    },
    "CL_INDICATOR": {
        "TRADE_TOTAL": ("进出口总额", "Total imports and exports"),
        "TRADE_BY_PARTNER": ("分国别进出口额", "Trade by partner country"),
    },
    "CL_BREAKDOWN": {"RU": ("俄罗斯", "Russia"), "VN": ("越南", "Viet Nam")},
}


def _observations() -> pd.DataFrame:
    """A small table in platform period codes, converted the way callers will."""
    rows = [
        # annual values of the period, demonstration data
        ("A", "BECZ-GX-01", "TRADE_TOTAL", "_T", "2023", 123456.7, "PERIOD", "DEMO"),
        ("A", "BECZ-GX-01", "TRADE_TOTAL", "_T", "2024", 0.1 + 0.2, "PERIOD", "DEMO"),
        ("A", "BECZ-GX-02", "TRADE_TOTAL", "_T", "2024", 98765.4321, "PERIOD", "OFFICIAL"),
        ("A", "CN-GX", "TRADE_TOTAL", "_T", "2024", 1.0e16, "PERIOD", "OFFICIAL"),
        ("A", "ALL", "TRADE_TOTAL", "_T", "2024", 2.5e-7, "PERIOD", "OFFICIAL"),
        # monthly year-to-date cumulative values (1—N月累计) by partner country
        ("M", "BECZ-GX-01", "TRADE_BY_PARTNER", "RU", "2024M05", 1200.5, "YTD", "OFFICIAL"),
        ("M", "BECZ-GX-01", "TRADE_BY_PARTNER", "RU", "2024M06", 1450.25, "YTD", "DEMO"),
        ("M", "BECZ-GX-01", "TRADE_BY_PARTNER", "VN", "2024M06", float("nan"), "YTD", "DEMO"),
        ("M", "BECZ-GX-01", "TRADE_BY_PARTNER", "_T", "2024M06", -3.0, "YTD", "DEMO"),
        ("M", "ALL", "TRADE_BY_PARTNER", "VN", "2024M06", 77.0, "YTD", "OFFICIAL"),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[*KEY, "OBS_VALUE", "VALUE_BASIS", "DATA_NATURE"],
    )
    frame["TIME_PERIOD"] = frame["TIME_PERIOD"].map(sdmx_time_period)
    frame["UNIT_MEASURE"] = "万元"
    return frame[list(COLUMNS)]


def _expected() -> pd.DataFrame:
    frame = _observations()
    return frame[frame["OBS_VALUE"].notna()].set_index(KEY).sort_index()


@pytest.fixture(scope="module")
def structure():
    return sdmx.read_sdmx(io.BytesIO(structure_message(CODELISTS, prepared=PREPARED)))


def _assert_same_observations(read_back: pd.DataFrame) -> None:
    """``read_back`` is sdmx.to_pandas output with the attributes as columns."""
    got = read_back.reset_index().set_index(KEY).sort_index()
    expected = _expected()
    assert list(got.index) == list(expected.index)
    # float equality, not closeness: the files must carry every bit of the value
    assert got["value"].astype(float).tolist() == expected["OBS_VALUE"].tolist()
    for column in ("UNIT_MEASURE", "VALUE_BASIS", "DATA_NATURE"):
        assert got[column].tolist() == expected[column].tolist(), column


# --- structure -----------------------------------------------------------------------


def test_the_structure_message_defines_exactly_the_zone_statistics_dsd(structure):
    dsd = structure.structure["BH_ZONE_STATS"]
    assert (dsd.maintainer.id, dsd.version) == ("BIANHE", "1.0")
    assert [d.id for d in dsd.dimensions.components] == KEY
    assert isinstance(dsd.dimensions.get("TIME_PERIOD"), common.TimeDimension)
    assert [m.id for m in dsd.measures.components] == ["OBS_VALUE"]
    assert [a.id for a in dsd.attributes.components] == [
        "UNIT_MEASURE",
        "VALUE_BASIS",
        "DATA_NATURE",
        "OBS_INCLUDED",
        "OBS_EXPECTED",
    ]

    enumerated = {
        c.id: c.local_representation.enumerated.id
        for c in [*dsd.dimensions.components, *dsd.attributes.components]
        if c.local_representation.enumerated is not None
    }
    assert enumerated == {
        "FREQ": "CL_FREQ",
        "REF_AREA": "CL_AREA",
        "INDICATOR": "CL_INDICATOR",
        "BREAKDOWN": "CL_BREAKDOWN",
        "VALUE_BASIS": "CL_VALUE_BASIS",
        "DATA_NATURE": "CL_DATA_NATURE",
    }
    series_level = [dsd.attributes.get(a).related_to for a in ("UNIT_MEASURE", "VALUE_BASIS")]
    for relationship in series_level:
        assert [d.id for d in relationship.dimensions] == KEY[:4]
    assert isinstance(dsd.attributes.get("DATA_NATURE").related_to, v21.PrimaryMeasureRelationship)
    flow = structure.dataflow["BH_ZONE_STATS"]
    assert flow.structure is dsd
    assert str(dsd.name.localizations["zh"]) and str(dsd.name.localizations["en"])


def test_the_codelists_carry_the_given_codes_with_chinese_and_english_names(structure):
    codelists = structure.codelist
    for codelist_id, codes in CODELISTS.items():
        for code, (zh, en) in codes.items():
            names = codelists[codelist_id][code].name.localizations
            assert names == {"zh": zh, "en": en}, (codelist_id, code)
    assert "ALL" in codelists["CL_AREA"]
    assert codelists["CL_BREAKDOWN"]["_T"].name.localizations["zh"] == "合计"
    assert [c.id for c in codelists["CL_FREQ"]] == ["A", "Q", "M"]
    assert codelists["CL_VALUE_BASIS"]["YTD"].name.localizations["zh"] == "1—N月累计"
    assert codelists["CL_DATA_NATURE"]["DEMO"].name.localizations["zh"] == "演示数据"
    concepts = structure.concept_scheme["CS_BH_ZONE_STATS"]
    assert concepts["UNIT_MEASURE"].name.localizations["zh"] == "计量单位"


def test_the_caller_may_replace_a_fixed_codelist_but_not_drop_the_total_code():
    codelists = {
        **CODELISTS,
        "CL_DATA_NATURE": {"OFFICIAL": ("正式数据", "Official data")},
        "CL_BREAKDOWN": {"RU": ("俄罗斯", "Russia")},
    }
    message = sdmx.read_sdmx(io.BytesIO(structure_message(codelists, prepared=PREPARED)))
    assert [c.id for c in message.codelist["CL_DATA_NATURE"]] == ["OFFICIAL"]
    assert {c.id for c in message.codelist["CL_BREAKDOWN"]} == {"_T", "RU"}


def test_bad_codelists_are_refused():
    with pytest.raises(ValueError, match="CL_INDICATOR"):
        structure_message({"CL_AREA": {}, "CL_BREAKDOWN": {}}, prepared=PREPARED)
    with pytest.raises(ValueError, match="CL_UNIT"):
        structure_message({**CODELISTS, "CL_UNIT": {"X": ("元", "yuan")}}, prepared=PREPARED)
    with pytest.raises(ValueError, match="not an SDMX id"):
        structure_message(
            {**CODELISTS, "CL_AREA": {"东兴": ("东兴", "Dongxing")}}, prepared=PREPARED
        )
    with pytest.raises(ValueError, match="name_zh, name_en"):
        structure_message({**CODELISTS, "CL_AREA": {"X1": ("东兴",)}}, prepared=PREPARED)


# --- GenericData -----------------------------------------------------------------------


def test_generic_data_reads_back_exactly_with_the_dsd(structure):
    dsd = structure.structure["BH_ZONE_STATS"]
    document = generic_data_message(
        _observations(), prepared=PREPARED, dataset_id="ZONES_2024M06", codelists=CODELISTS
    )
    message = sdmx.read_sdmx(io.BytesIO(document), structure=dsd)

    assert message.observation_dimension.id == "TIME_PERIOD"
    (dataset,) = message.data
    assert dataset.structured_by is dsd
    assert len(dataset.series) == 7  # the NaN-only VN series of BECZ-GX-01 is not written
    _assert_same_observations(sdmx.to_pandas(message, attributes="dsgo"))


def test_generic_data_header_references_the_dsd_and_drops_missing_values():
    document = generic_data_message(_observations(), prepared=PREPARED).decode()
    assert 'structureID="BIANHE_BH_ZONE_STATS_1_0"' in document
    assert 'dimensionAtObservation="TIME_PERIOD"' in document
    assert '<Ref agencyID="BIANHE" id="BH_ZONE_STATS" version="1.0"' in document
    assert "nan" not in document.lower()
    assert 'value="10000000000000000"' in document  # no exponent for ordinary numbers


# --- SDMX-CSV 2.0 ---------------------------------------------------------------------


def test_sdmx_csv_header_and_rows_follow_the_field_guide():
    document = csv_message(_observations())
    assert not document.startswith(b"\xef\xbb\xbf")
    lines = document.decode("utf-8").split("\r\n")
    assert lines[0] == (
        "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,INDICATOR,BREAKDOWN,TIME_PERIOD,"
        "OBS_VALUE,UNIT_MEASURE,VALUE_BASIS,DATA_NATURE"
    )
    assert lines[1].startswith("dataflow,BIANHE:BH_ZONE_STATS(1.0),I,")
    assert lines[-1] == ""  # every record ends with CRLF
    assert len(lines) == 2 + len(_expected())


def test_sdmx_csv_reads_back_exactly_with_sdmx1(structure):
    flow = structure.dataflow["BH_ZONE_STATS"]
    document = csv_message(_observations(), codelists=CODELISTS)
    message = sdmx.read_sdmx(io.BytesIO(document), format="csv", structure=flow)

    (dataset,) = message.data
    assert dataset.action == common.ActionType.information
    assert dataset.described_by is flow
    _assert_same_observations(sdmx.to_pandas(message, attributes="o"))


def test_sdmx_csv_reads_back_exactly_with_pandas():
    read = pd.read_csv(io.BytesIO(csv_message(_observations())), dtype=str)
    read["OBS_VALUE"] = read["OBS_VALUE"].astype(float)
    got = read.drop(columns=["STRUCTURE", "STRUCTURE_ID", "ACTION"]).set_index(KEY)
    pd.testing.assert_frame_equal(got.sort_index(), _expected(), check_exact=True)


# --- validation ---------------------------------------------------------------------------


def test_codes_missing_from_the_codelists_are_named_and_refused():
    observations = _observations()
    observations.loc[0, "REF_AREA"] = "BECZ-YN-09"
    observations.loc[1, "BREAKDOWN"] = "MN"
    message = r"REF_AREA \(CL_AREA\): BECZ-YN-09; BREAKDOWN \(CL_BREAKDOWN\): MN"
    with pytest.raises(ValueError, match=message):
        structure_message(CODELISTS, prepared=PREPARED, observations=observations)
    with pytest.raises(ValueError, match="BECZ-YN-09"):
        generic_data_message(observations, prepared=PREPARED, codelists=CODELISTS)
    with pytest.raises(ValueError, match="BECZ-YN-09"):
        csv_message(observations, codelists=CODELISTS)


def test_codes_outside_the_fixed_codelists_are_refused_without_codelists():
    observations = _observations()
    observations.loc[3, "VALUE_BASIS"] = "AVG"
    with pytest.raises(ValueError, match=r"VALUE_BASIS \(CL_VALUE_BASIS\): AVG"):
        csv_message(observations)


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match=r"\['UNIT_MEASURE', 'DATA_NATURE'\]"):
        csv_message(_observations().drop(columns=["UNIT_MEASURE", "DATA_NATURE"]))


def test_a_period_that_does_not_match_its_frequency_is_refused():
    observations = _observations()
    observations.loc[5, "TIME_PERIOD"] = "2024M05"
    with pytest.raises(ValueError, match="sdmx_time_period"):
        generic_data_message(observations, prepared=PREPARED)


def test_a_series_attribute_that_changes_within_a_series_is_refused():
    observations = _observations()
    observations.loc[6, "VALUE_BASIS"] = "PERIOD"
    with pytest.raises(ValueError, match=re.escape("M.BECZ-GX-01.TRADE_BY_PARTNER.RU")):
        generic_data_message(observations, prepared=PREPARED)


def test_a_repeated_observation_key_is_refused():
    observations = pd.concat([_observations(), _observations().iloc[[0]]])
    with pytest.raises(ValueError, match="repeat an observation key"):
        csv_message(observations)


def test_infinite_values_are_refused():
    observations = _observations()
    observations.loc[0, "OBS_VALUE"] = math.inf
    with pytest.raises(ValueError, match="infinite"):
        csv_message(observations)


# --- periods and numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [("2024", "2024"), ("2024Q2", "2024-Q2"), ("2024M06", "2024-06"), ("2024M12", "2024-12")],
)
def test_platform_period_codes_become_sdmx_time_periods(code, expected):
    assert sdmx_time_period(code) == expected


@pytest.mark.parametrize("code", ["2024M13", "2024Q5", "2024-06", ""])
def test_bad_period_codes_are_refused(code):
    with pytest.raises(ValueError):
        sdmx_time_period(code)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_value_is_written_without_loss(value):
    text = format_value(value)
    assert float(text) == value
    assert "e" not in text and "," not in text
