"""Reading numbers as people type them, by explicit rules — never by guessing.

Accepted: ``1234.5``, ``1,234.5`` (thousands separators), ``-3``, full-width digits and
punctuation (``１２３``, converted by Unicode NFKC), and a trailing ``%`` for percentage
indicators only. Refused with a reason: words and units inside the number (``1.2万``,
``12亿元``, ``约100``), several numbers, formulas, anything else.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

# [0-9], not \d: \d also matches other scripts' digits (e.g. Arabic-Indic), which the
# database and the checks would not read as the same number.
_NUMBER = re.compile(r"^[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?$")
_UNIT_WORDS = re.compile(r"[万亿千百元美吨人家个项次%％]")


def normalise(series: pd.Series) -> pd.Series:
    """Text of each cell, NFKC-normalised and stripped; '' for empty cells."""
    text = series.astype(object).where(series.notna(), "").map(str)
    if text.map(str.isascii).all():
        return text.str.strip()
    return text.map(lambda value: unicodedata.normalize("NFKC", value).strip())


def parse(series: pd.Series, percent: pd.Series | None = None
          ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse cell texts: returns (number as float or NaN, canonical text, problem message).

    ``canonical`` is the digits without separators, as stored; ``problem`` is '' when the
    cell is a valid number or empty.
    """
    text = normalise(series)
    stripped = text
    if percent is not None:
        has_percent = text.str.endswith("%")
        stripped = text.where(~(has_percent & percent), text.str[:-1].str.strip())
    valid = stripped.str.match(_NUMBER)
    canonical = stripped.str.replace(",", "", regex=False).where(valid, "")
    numbers = pd.to_numeric(canonical.where(valid, np.nan), errors="coerce")
    empty = text == ""
    problem = pd.Series("", index=series.index, dtype=object)
    bad = ~valid & ~empty
    if bad.any():
        units = bad & text.str.contains(_UNIT_WORDS)
        problem[units] = _("Write the plain number in the indicator's unit, without words "
                           "or units such as 万 or %.")
        problem[bad & ~units] = _("Not a number.")
    return numbers.astype(float), canonical, problem
