"""One batch on its way through the checks: the table and what the checks looked up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from bianhe.periods import Period
from bianhe.reporting.ingest.result import Checks
from bianhe.reporting.ingest.table import prepare


@dataclass
class Batch:
    """The ingest table (``frame``, which the checks extend with looked-up columns) and
    the database rows it refers to, filled in as the steps run.

    ``actor`` None is the platform itself (demo and fixture loaders).
    """

    checks: Checks
    actor: object
    today: dt.date
    zone_rows: dict = field(default_factory=dict)  # zone code → OrgUnit
    periods: dict[str, Period] = field(default_factory=dict)  # period code → Period
    versions: dict[int, int] = field(default_factory=dict)  # year → CatalogVersion pk
    known: pd.Series | None = None  # rows whose indicator is in the year's catalogue
    forms: list = field(default_factory=list)  # the active report forms
    forms_by_id: dict = field(default_factory=dict)
    existing: dict = field(default_factory=dict)  # (zone id, form id, period) → Report
    usable: pd.Series | None = None  # rows with a known zone, form and period

    @classmethod
    def start(cls, rows: pd.DataFrame, *, actor, today: dt.date) -> Batch:
        return cls(checks=Checks(prepare(rows)), actor=actor, today=today)

    @property
    def frame(self) -> pd.DataFrame:
        return self.checks.frame

    @frame.setter
    def frame(self, frame: pd.DataFrame) -> None:
        self.checks.frame = frame

    def add(self, mask: pd.Series, message) -> None:
        self.checks.add(mask, message)
