"""The zones an analysis runs over, as arrays: ids, groups, areas and validity by year.

Loaded in one query per analysis (a few thousand rows at national scale). The registry's
validity dates decide which zones count in which year: a zone approved in 2015 adds nothing
to 2014's totals even if a value was entered for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
from django.db import connection

from bianhe.analytics.query import ALL, ORIENTATION, PROVINCE, ZONE
from bianhe.zones.models import OrgUnit, Orientation


@dataclass
class Zones:
    ids: np.ndarray  # int, sorted ascending: the row order of every array
    codes: list[str]
    names: list[str]
    province_codes: list[str]
    province_names: list[str]
    orientations: list[str]
    area: np.ndarray  # km², NaN when the registry has no verified figure
    valid_from_year: np.ndarray  # first year counted (int; very small when unknown)
    valid_to_year: np.ndarray  # last year counted (very large when open)
    #: The countries each zone borders, as the registry names them (中文); [] when unknown.
    neighbours: list[list[str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """Row of each zone id, -1 for ids not among these zones."""
        if not len(self.ids):
            return np.full(len(ids), -1, dtype=np.int64)
        position = np.clip(np.searchsorted(self.ids, ids), 0, len(self.ids) - 1)
        return np.where(self.ids[position] == ids, position, -1)

    def valid_in(self, years: np.ndarray) -> np.ndarray:
        """(zones, len(years)) bool: the zone counts in that year."""
        years = np.asarray(years)[None, :]
        return (self.valid_from_year[:, None] <= years) & (self.valid_to_year[:, None] >= years)

    def groups(self, level: str) -> tuple[np.ndarray, list[str], list[str]]:
        """Group index per zone at ``level``, with the groups' codes and labels."""
        if level == ZONE:
            return np.arange(len(self.ids)), list(self.codes), list(self.names)
        if level == ALL:
            from django.utils.translation import gettext as _

            return np.zeros(len(self.ids), dtype=np.int64), ["ALL"], [_("All zones")]
        keys = self.province_codes if level == PROVINCE else self.orientations
        codes = sorted(set(keys))
        index = {code: i for i, code in enumerate(codes)}
        if level == PROVINCE:
            name_of = dict(zip(self.province_codes, self.province_names, strict=True))
            labels = [name_of[code] for code in codes]
        elif level == ORIENTATION:
            labels = [str(Orientation(code).label) if code in Orientation.values else "—"
                      for code in codes]
        else:
            raise ValueError(level)
        return np.array([index[key] for key in keys], dtype=np.int64), codes, labels


def load_zones(queryset) -> Zones:
    """Zones of ``queryset`` (already restricted by the caller) as :class:`Zones`.

    The restricted queryset builds the SQL; the rows are read through the raw cursor and
    converted here, because the ORM's per-field converters cost more than the query for
    thousands of zones, on every analysis.
    """
    sql, params = queryset.filter(level="zone").order_by("id").values_list(
        "id", "code", "name_zh", "parent__code", "parent__name_zh", "orientation", "area_km2",
        "valid_from", "valid_to", "approval_year", "neighbour_countries"
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    far_past, far_future = 0, 9999

    def year_of(day) -> int | None:
        # A date from PostgreSQL, ISO text from SQLite.
        return None if day is None else int(str(day)[:4])

    def first_year(valid_from, approval_year) -> int:
        if valid_from is not None:
            return year_of(valid_from)
        return int(approval_year) if approval_year is not None else far_past

    return Zones(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        codes=[r[1] for r in rows],
        names=[r[2] for r in rows],
        province_codes=[r[3] or "" for r in rows],
        province_names=[r[4] or "" for r in rows],
        orientations=[r[5] or "" for r in rows],
        area=np.array([float(r[6]) if r[6] is not None else np.nan for r in rows]),
        valid_from_year=np.array([first_year(r[7], r[9]) for r in rows], dtype=np.int64),
        valid_to_year=np.array([year_of(r[8]) or far_future for r in rows], dtype=np.int64),
        neighbours=[_country_list(r[10]) for r in rows],
    )


def _country_list(raw) -> list[str]:
    """A JSON list of country names: text from SQLite, a list from PostgreSQL."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    return [str(item) for item in raw] if isinstance(raw, list) else []


def all_zones() -> Zones:
    return load_zones(OrgUnit.objects.all())
