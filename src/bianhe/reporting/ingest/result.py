"""What an ingest answers: the problems found, the counts, and the cells that would change."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from django.utils.translation import gettext as _

MAX_PROBLEMS_LISTED = 500


@dataclass
class Problem:
    location: str
    indicator: str
    message: str


@dataclass
class IngestResult:
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    reports_created: int = 0
    dry_run: bool = False
    changes: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


class Checks:
    """Collects (mask, message) pairs and turns the first few into Problem rows.

    Problems are listed in row order; within a row, in the order the checks ran.
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.failed = pd.Series(False, index=frame.index)
        self.found: list[tuple[pd.Series, object]] = []

    def add(self, mask: pd.Series, message) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            self.failed |= mask
            self.found.append((mask, message))

    def problems(self) -> tuple[list[Problem], int]:
        listed: list[tuple[int, Problem]] = []
        total = 0
        for mask, message in self.found:
            rows = self.frame.index[mask]
            total += len(rows)
            for index in rows[:MAX_PROBLEMS_LISTED]:
                text = message[index] if isinstance(message, pd.Series) else message
                location = self.frame.at[index, "location"] or \
                    _("row %(n)d") % {"n": index + 1}
                listed.append((index, Problem(location, self.frame.at[index, "indicator"],
                                              str(text))))
        listed.sort(key=lambda pair: pair[0])
        return [problem for _i, problem in listed[:MAX_PROBLEMS_LISTED]], total
