"""Statistical observations as SDMX, for open-data publication.

SDMX (ISO 17369) is how statistical organisations such as Eurostat, the IMF and the OECD
exchange data, so a table published this way loads into their tools without a hand-written
description. Three documents are produced:

- :func:`structure_message` — SDMX-ML 2.1 *Structure*: the codelists, the concept scheme,
  the data structure definition (DSD) ``BIANHE:BH_ZONE_STATS(1.0)`` and a dataflow of the
  same id. It says what every code and column means, in Chinese and English.
- :func:`generic_data_message` — SDMX-ML 2.1 *GenericData*: the observations, one series
  per dimension key, time at the observation level.
- :func:`csv_message` — SDMX-CSV 2.0: the same observations as one flat table, the format
  spreadsheet users and pandas read directly.

The DSD has the dimensions ``FREQ``, ``REF_AREA``, ``INDICATOR``, ``BREAKDOWN`` and the
time dimension ``TIME_PERIOD``; the measure ``OBS_VALUE``; the series attributes
``UNIT_MEASURE`` (free text such as 万元) and ``VALUE_BASIS`` (``YTD`` 1—N月累计,
``PERIOD``, ``EOP``), the observation attribute ``DATA_NATURE`` (``DEMO``/``OFFICIAL``)
and the conditional observation attributes ``OBS_INCLUDED``/``OBS_EXPECTED`` (coverage:
zones included of zones expected), so a reader can never mistake a cumulative value for a
monthly one, demonstration data for official figures, or a partial total for a full one.

Every input is checked before anything is written (:func:`check_observations`): a code
that the codelists do not describe, a period that does not match its frequency, or a
series attribute that changes inside a series is refused with a :class:`ValueError`,
because a published file that contradicts its own structure cannot be corrected once
others have downloaded it. No Django import: numpy, pandas and ``xml.etree`` only.
"""

from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pandas as pd

from bianhe.periods import ANNUAL, MONTHLY, QUARTERLY, Period

AGENCY = "BIANHE"
DSD_ID = "BH_ZONE_STATS"
VERSION = "1.0"
CONCEPT_SCHEME_ID = "CS_BH_ZONE_STATS"
STRUCTURE_ID = f"{AGENCY}:{DSD_ID}({VERSION})"

DIMENSIONS = ("FREQ", "REF_AREA", "INDICATOR", "BREAKDOWN")
TIME_DIMENSION = "TIME_PERIOD"
MEASURE = "OBS_VALUE"
SERIES_ATTRIBUTES = ("UNIT_MEASURE", "VALUE_BASIS")
OBS_ATTRIBUTES = ("DATA_NATURE",)
ATTRIBUTES = SERIES_ATTRIBUTES + OBS_ATTRIBUTES
COLUMNS = (*DIMENSIONS, TIME_DIMENSION, MEASURE, *ATTRIBUTES)
#: Coverage of each observation (conditional: written when the observations carry it):
#: the zones whose figures it includes and the zones that count in its area and period.
#: A total with OBS_INCLUDED < OBS_EXPECTED is a total of the confirmed zones only.
COVERAGE_ATTRIBUTES = ("OBS_INCLUDED", "OBS_EXPECTED")

#: Which codelist describes each coded component (UNIT_MEASURE is free text).
CODED = {"FREQ": "CL_FREQ", "REF_AREA": "CL_AREA", "INDICATOR": "CL_INDICATOR",
         "BREAKDOWN": "CL_BREAKDOWN", "VALUE_BASIS": "CL_VALUE_BASIS",
         "DATA_NATURE": "CL_DATA_NATURE"}  # fmt: skip
REQUIRED_CODELISTS = ("CL_AREA", "CL_INDICATOR", "CL_BREAKDOWN")

CONCEPTS = {
    "FREQ": ("频率", "Frequency"),
    "REF_AREA": ("地区", "Reference area"),
    "INDICATOR": ("指标", "Indicator"),
    "BREAKDOWN": ("分组", "Breakdown"),
    "TIME_PERIOD": ("时期", "Time period"),
    "OBS_VALUE": ("观测值", "Observation value"),
    "UNIT_MEASURE": ("计量单位", "Unit of measure"),
    "VALUE_BASIS": ("取值口径", "Value basis"),
    "DATA_NATURE": ("数据性质", "Data nature"),
    "OBS_INCLUDED": ("已确认园区数", "Zones included"),
    "OBS_EXPECTED": ("应计园区数", "Zones expected"),
}
CODELIST_NAMES = {codelist: CONCEPTS[component] for component, codelist in CODED.items()}
#: Codelists whose codes are the module's own vocabulary; ``codelists`` may replace them.
FIXED_CODELISTS = {
    "CL_FREQ": {"A": ("年度", "Annual"), "Q": ("季度", "Quarterly"), "M": ("月度", "Monthly")},
    "CL_VALUE_BASIS": {
        "YTD": ("1—N月累计", "Year-to-date cumulative"),
        "PERIOD": ("当期值", "Value for the period"),
        "EOP": ("期末值", "End-of-period stock"),
    },
    "CL_DATA_NATURE": {
        "DEMO": ("演示数据", "Demonstration data"),
        "OFFICIAL": ("正式数据", "Official data"),
    },
}
_FLOW_NAME = ("合作区统计数据", "Zone statistics")
_DSD_NAME = ("合作区统计数据结构", "Zone statistics data structure")
_SCHEME_NAME = ("合作区统计概念", "Zone statistics concepts")
#: Codes every publication relies on, added to the caller's codelists when absent.
IMPLIED_CODES = {
    "CL_AREA": {"ALL": ("全部合作区", "All zones")},
    "CL_BREAKDOWN": {"_T": ("合计", "Total")},
}

_SCHEMAS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/"
_NS = {"mes": "message", "str": "structure", "com": "common", "gen": "data/generic"}
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_SDMX_ID = re.compile(r"[A-Za-z0-9_@$\-]+")  # common:IDType of SDMX 2.1
_TIME_FORMAT = {
    "A": re.compile(r"\d{4}"),
    "Q": re.compile(r"\d{4}-Q[1-4]"),
    "M": re.compile(r"\d{4}-(0[1-9]|1[0-2])"),
}


# --- input checks ------------------------------------------------------------------------


def sdmx_time_period(code: str) -> str:
    """Convert a platform period code to the SDMX ``TIME_PERIOD`` of the same period.

    The platform writes ``2024``, ``2024Q2`` and ``2024M06``; SDMX (ISO 8601 and its
    reporting-period extension) writes ``2024``, ``2024-Q2`` and ``2024-06``.
    Raises :class:`bianhe.periods.PeriodError` (a :class:`ValueError`) on a bad code.

    >>> [sdmx_time_period(c) for c in ("2024", "2024Q2", "2024M06")]
    ['2024', '2024-Q2', '2024-06']
    """
    period = Period.parse(code)
    if period.frequency == MONTHLY:
        return f"{period.year}-{period.number:02d}"
    if period.frequency == QUARTERLY:
        return f"{period.year}-Q{period.number}"
    assert period.frequency == ANNUAL
    return str(period.year)


def merged_codelists(codelists: Mapping[str, Mapping[str, tuple[str, str]]]) -> dict:
    """The six codelists of the DSD: the fixed ones, the caller's, and the implied codes.

    Unknown codelist ids, ids that are not SDMX ids and names that are not a
    ``(name_zh, name_en)`` pair are refused: a typo must not silently publish an empty list.
    """
    unknown = sorted(set(codelists) - set(CODELIST_NAMES))
    if unknown:
        raise ValueError(f"unknown codelists {unknown}; expected some of {sorted(CODELIST_NAMES)}")
    missing = [cl for cl in REQUIRED_CODELISTS if cl not in codelists]
    if missing:
        raise ValueError(f"codelists {missing} are required")
    merged = {cl: dict(FIXED_CODELISTS.get(cl, {})) for cl in CODELIST_NAMES}
    for cl, codes in codelists.items():
        merged[cl] = dict(codes)
    for cl, implied in IMPLIED_CODES.items():
        merged[cl] = {**implied, **merged[cl]}
    for cl, codes in merged.items():
        if not codes:
            raise ValueError(f"codelist {cl} is empty")
        for code, names in codes.items():
            if not isinstance(code, str) or not _SDMX_ID.fullmatch(code):
                raise ValueError(f"{cl}: {code!r} is not an SDMX id (letters, digits, _ @ $ -)")
            if (
                not isinstance(names, tuple | list)
                or len(names) != 2
                or not all(isinstance(n, str) and n.strip() for n in names)
            ):
                raise ValueError(f"{cl}: {code!r} needs a (name_zh, name_en) pair")
    return merged


def check_observations(
    observations: pd.DataFrame, codelists: Mapping[str, Mapping] | None = None
) -> pd.DataFrame:
    """Return the publishable rows of ``observations``, sorted by series and period.

    Rows whose ``OBS_VALUE`` is missing are dropped (SDMX has no "empty" observation; a
    missing value is simply absent). Everything else that would make the file disagree
    with the structure raises :class:`ValueError`: missing columns, empty codes, codes the
    codelists lack (all codelists when ``codelists`` is given, the fixed ones otherwise),
    a ``TIME_PERIOD`` not in the form its ``FREQ`` requires, infinite values, a repeated
    observation key, or a series attribute that differs between observations of a series
    (it is written once per series, so one of the values would be lost).
    """
    missing = [c for c in COLUMNS if c not in observations.columns]
    if missing:
        raise ValueError(f"observations lack the columns {missing}; expected {list(COLUMNS)}")
    coverage = _coverage_columns(observations)
    frame = observations.loc[:, [*COLUMNS, *coverage]].copy()
    values = pd.to_numeric(frame[MEASURE], errors="coerce").astype(float)
    bad = frame[MEASURE].notna() & values.isna()
    if bad.any():
        raise ValueError(f"OBS_VALUE is not numeric: {sorted(map(str, frame[MEASURE][bad]))}")
    frame[MEASURE] = values
    frame = frame[values.notna()]
    if np.isinf(frame[MEASURE]).any():
        raise ValueError("OBS_VALUE has infinite values")
    for column in coverage:
        counts = pd.to_numeric(frame[column], errors="coerce")
        if counts.isna().any() or (counts < 0).any() or (counts % 1 != 0).any():
            raise ValueError(f"{column} must be a count (a whole number ≥ 0) in every row")
        frame[column] = counts.astype(np.int64).astype(str)
    for column in (*DIMENSIONS, TIME_DIMENSION, *ATTRIBUTES):
        if frame[column].isna().any() or (frame[column].astype(str).str.strip() == "").any():
            raise ValueError(f"{column} is empty in some rows")
        frame[column] = frame[column].astype(str)

    lists = FIXED_CODELISTS if codelists is None else merged_codelists(codelists)
    absent = {
        f"{column} ({cl})": ", ".join(sorted(set(frame[column]) - set(lists[cl])))
        for column, cl in CODED.items()
        if cl in lists and not set(frame[column]) <= set(lists[cl])
    }
    if absent:
        detail = "; ".join(f"{k}: {v}" for k, v in absent.items())
        raise ValueError(f"codes not in the codelists: {detail}")

    for freq, rows in frame.groupby("FREQ"):
        pattern = _TIME_FORMAT.get(freq)
        if pattern is None:
            raise ValueError(f"no SDMX time format for frequency {freq!r}")
        wrong = sorted(set(rows[TIME_DIMENSION][~rows[TIME_DIMENSION].str.fullmatch(pattern)]))
        if wrong:
            raise ValueError(
                f"TIME_PERIOD {wrong} do not match FREQ {freq}; convert with sdmx_time_period()"
            )

    key = [*DIMENSIONS, TIME_DIMENSION]
    repeated = frame[frame.duplicated(key, keep=False)]
    if not repeated.empty:
        first = ".".join(repeated.iloc[0][key])
        raise ValueError(f"{len(repeated)} rows repeat an observation key, e.g. {first}")
    varying = frame.groupby(list(DIMENSIONS))[list(SERIES_ATTRIBUTES)].nunique().gt(1)
    if varying.to_numpy().any():
        series = varying[varying.any(axis=1)].index[0]
        raise ValueError(
            f"series attributes {list(SERIES_ATTRIBUTES)} change within series {'.'.join(series)}"
        )
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def _coverage_columns(observations: pd.DataFrame) -> list[str]:
    """The coverage attributes the observations carry: both or neither."""
    present = [c for c in COVERAGE_ATTRIBUTES if c in observations.columns]
    if present and len(present) != len(COVERAGE_ATTRIBUTES):
        raise ValueError(f"give both coverage columns {list(COVERAGE_ATTRIBUTES)} or neither")
    return present


def format_value(value: float) -> str:
    """The shortest decimal that reads back as exactly ``value``, without an exponent.

    ``repr`` would give ``1e+16`` for large values; positional notation is what
    spreadsheets and people expect, and ``unique=True`` keeps the exact round trip.

    >>> format_value(12.0), format_value(0.1 + 0.2), format_value(1e16)
    ('12', '0.30000000000000004', '10000000000000000')
    """
    if not math.isfinite(value):
        raise ValueError(f"{value!r} cannot be published")
    return np.format_float_positional(float(value), unique=True, trim="-")


# --- SDMX-ML ------------------------------------------------------------------------------
# Tags are written with their prefixes and the namespaces declared once on the root, so
# the output uses the conventional mes:/str:/com:/gen: prefixes without changing
# ElementTree's process-wide prefix registry. ``Ref`` is unqualified in SDMX-ML 2.1.


def _el(parent: ET.Element | None, tag: str, attrs: Mapping | None = None, text=None):
    attrs = {k: v for k, v in (attrs or {}).items() if v is not None}
    el = ET.Element(tag, attrs) if parent is None else ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _names(parent: ET.Element, names: tuple[str, str]) -> None:
    for lang, name in zip(("zh", "en"), names, strict=True):
        _el(parent, "com:Name", {_LANG: lang}, name)


def _header(root: ET.Element, kind: str, prepared: datetime) -> ET.Element:
    header = _el(root, "mes:Header")
    _el(header, "mes:ID", text=f"{DSD_ID}_{kind}_{prepared:%Y%m%dT%H%M%S}")
    _el(header, "mes:Test", text="false")
    _el(header, "mes:Prepared", text=prepared.isoformat(timespec="seconds"))
    _el(header, "mes:Sender", {"id": AGENCY})
    return header


def _root(tag: str, *prefixes: str) -> ET.Element:
    return _el(None, tag, {f"xmlns:{p}": _SCHEMAS + _NS[p] for p in prefixes})


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _maintainable(parent, tag, ident, names):
    el = _el(parent, tag, {"id": ident, "agencyID": AGENCY, "version": VERSION})
    _names(el, names)
    return el


def _describe(el, ident, *, codelist=None, text_type=None):
    """Add a component's concept and its representation (a codelist or a text type)."""
    _el(_el(el, "str:ConceptIdentity"), "Ref", {
        "id": ident, "maintainableParentID": CONCEPT_SCHEME_ID,
        "maintainableParentVersion": VERSION, "agencyID": AGENCY,
        "package": "conceptscheme", "class": "Concept",
    })  # fmt: skip
    representation = _el(el, "str:LocalRepresentation")
    if codelist:
        _el(_el(representation, "str:Enumeration"), "Ref", {
            "id": codelist, "version": VERSION, "agencyID": AGENCY,
            "package": "codelist", "class": "Codelist",
        })  # fmt: skip
    else:
        _el(representation, "str:TextFormat", {"textType": text_type})
    return el


def structure_message(
    codelists: Mapping[str, Mapping[str, tuple[str, str]]],
    *,
    prepared: datetime,
    observations: pd.DataFrame | None = None,
) -> bytes:
    """SDMX-ML 2.1 Structure message describing ``BIANHE:BH_ZONE_STATS(1.0)``.

    ``codelists`` maps ``CL_AREA``, ``CL_INDICATOR`` and ``CL_BREAKDOWN`` (required) and
    optionally ``CL_FREQ``, ``CL_VALUE_BASIS``, ``CL_DATA_NATURE`` (replacing the fixed
    ones) to ``{code: (name_zh, name_en)}``; ``ALL`` and ``_T`` are added when absent.
    Given ``observations``, they are checked against the codelists first, so the structure
    published next to a data file always describes every code in it.
    """
    lists = merged_codelists(codelists)
    if observations is not None:
        check_observations(observations, codelists)

    root = _root("mes:Structure", "mes", "str", "com")
    _header(root, "STRUCTURE", prepared)
    structures = _el(root, "mes:Structures")

    flows = _el(structures, "str:Dataflows")
    flow = _maintainable(flows, "str:Dataflow", DSD_ID, _FLOW_NAME)
    _el(_el(flow, "str:Structure"), "Ref", {
        "id": DSD_ID, "version": VERSION, "agencyID": AGENCY,
        "package": "datastructure", "class": "DataStructure",
    })  # fmt: skip

    codelists_el = _el(structures, "str:Codelists")
    for cl, codes in lists.items():
        codelist = _maintainable(codelists_el, "str:Codelist", cl, CODELIST_NAMES[cl])
        for code, names in codes.items():
            _names(_el(codelist, "str:Code", {"id": code}), tuple(names))

    concepts = _el(structures, "str:Concepts")
    scheme = _maintainable(concepts, "str:ConceptScheme", CONCEPT_SCHEME_ID, _SCHEME_NAME)
    for concept, names in CONCEPTS.items():
        _names(_el(scheme, "str:Concept", {"id": concept}), names)

    dsd = _maintainable(
        _el(structures, "str:DataStructures"), "str:DataStructure", DSD_ID, _DSD_NAME
    )
    components = _el(dsd, "str:DataStructureComponents")
    dimensions = _el(components, "str:DimensionList", {"id": "DimensionDescriptor"})
    for position, dim in enumerate(DIMENSIONS, start=1):
        el = _el(dimensions, "str:Dimension", {"id": dim, "position": str(position)})
        _describe(el, dim, codelist=CODED[dim])
    el = _el(dimensions, "str:TimeDimension", {
        "id": TIME_DIMENSION, "position": str(len(DIMENSIONS) + 1),
    })  # fmt: skip
    _describe(el, TIME_DIMENSION, text_type="ObservationalTimePeriod")
    attributes = _el(components, "str:AttributeList", {"id": "AttributeDescriptor"})
    for attr in ATTRIBUTES:
        el = _el(attributes, "str:Attribute", {"id": attr, "assignmentStatus": "Mandatory"})
        _describe(el, attr, codelist=CODED.get(attr), text_type="String")
        relationship = _el(el, "str:AttributeRelationship")
        if attr in SERIES_ATTRIBUTES:
            for dim in DIMENSIONS:
                _el(_el(relationship, "str:Dimension"), "Ref", {"id": dim})
        else:
            _el(_el(relationship, "str:PrimaryMeasure"), "Ref", {"id": MEASURE})
    for attr in COVERAGE_ATTRIBUTES:
        el = _el(attributes, "str:Attribute", {"id": attr, "assignmentStatus": "Conditional"})
        _describe(el, attr, text_type="Integer")
        _el(_el(_el(el, "str:AttributeRelationship"), "str:PrimaryMeasure"), "Ref",
            {"id": MEASURE})
    measures = _el(components, "str:MeasureList", {"id": "MeasureDescriptor"})
    _describe(_el(measures, "str:PrimaryMeasure", {"id": MEASURE}), MEASURE, text_type="Double")
    return _serialise(root)


def generic_data_message(
    observations: pd.DataFrame,
    *,
    prepared: datetime,
    dataset_id: str = DSD_ID,
    codelists: Mapping[str, Mapping] | None = None,
) -> bytes:
    """SDMX-ML 2.1 GenericData message: one series per dimension key, time at observation.

    The generic format needs no schema derived from the DSD, so any SDMX tool reads it
    with only the structure message. ``UNIT_MEASURE`` and ``VALUE_BASIS`` are written on
    the series, ``DATA_NATURE`` on each observation. Pass the ``codelists`` given to
    :func:`structure_message` to check every code against them.
    """
    if not _SDMX_ID.fullmatch(dataset_id):
        raise ValueError(f"dataset_id {dataset_id!r} is not an SDMX id")
    frame = check_observations(observations, codelists)
    coverage = _coverage_columns(frame)
    structure_ref = f"{AGENCY}_{DSD_ID}_{VERSION.replace('.', '_')}"

    root = _root("mes:GenericData", "mes", "gen", "com")
    header = _header(root, "DATA", prepared)
    structure = _el(header, "mes:Structure", {
        "structureID": structure_ref, "dimensionAtObservation": TIME_DIMENSION,
    })  # fmt: skip
    _el(_el(structure, "com:Structure"), "Ref", {
        "agencyID": AGENCY, "id": DSD_ID, "version": VERSION,
    })  # fmt: skip
    _el(header, "mes:DataSetAction", text="Information")
    _el(header, "mes:DataSetID", text=dataset_id)

    dataset = _el(root, "mes:DataSet", {
        "structureRef": structure_ref, "setID": dataset_id, "action": "Information",
    })  # fmt: skip
    for key, rows in frame.groupby(list(DIMENSIONS), sort=False):
        series = _el(dataset, "gen:Series")
        series_key = _el(series, "gen:SeriesKey")
        for dim, value in zip(DIMENSIONS, key, strict=True):
            _el(series_key, "gen:Value", {"id": dim, "value": value})
        series_attrs = _el(series, "gen:Attributes")
        for attr in SERIES_ATTRIBUTES:
            _el(series_attrs, "gen:Value", {"id": attr, "value": rows[attr].iloc[0]})
        obs_attributes = [*OBS_ATTRIBUTES, *coverage]
        for period, value, *obs_attrs in rows[
            [TIME_DIMENSION, MEASURE, *obs_attributes]
        ].itertuples(index=False, name=None):
            obs = _el(series, "gen:Obs")
            _el(obs, "gen:ObsDimension", {"value": period})
            _el(obs, "gen:ObsValue", {"value": format_value(value)})
            attrs = _el(obs, "gen:Attributes")
            for attr, attr_value in zip(obs_attributes, obs_attrs, strict=True):
                _el(attrs, "gen:Value", {"id": attr, "value": attr_value})
    return _serialise(root)


def csv_message(
    observations: pd.DataFrame, *, codelists: Mapping[str, Mapping] | None = None
) -> bytes:
    """SDMX-CSV 2.0 data message: one row per observation, components in DSD order.

    The header is ``STRUCTURE,STRUCTURE_ID,ACTION`` then the dimensions, ``OBS_VALUE`` and
    the attributes; each row starts ``dataflow,BIANHE:BH_ZONE_STATS(1.0),I`` (action
    *Information*). The SDMX-CSV field guide builds on RFC 4180 (comma, CRLF line ends,
    quotes only where needed) and says nothing of a byte-order mark, so plain UTF-8 is
    written: readers such as sdmx1 match the first header field against ``STRUCTURE``
    literally, and a BOM would break that match.
    """
    frame = check_observations(observations, codelists)
    columns = [*COLUMNS, *_coverage_columns(frame)]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["STRUCTURE", "STRUCTURE_ID", "ACTION", *columns])
    values = [format_value(v) for v in frame[MEASURE]]
    rows = frame.assign(**{MEASURE: values})[columns].itertuples(index=False, name=None)
    writer.writerows(("dataflow", STRUCTURE_ID, "I", *row) for row in rows)
    return out.getvalue().encode("utf-8")
