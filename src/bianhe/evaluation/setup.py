"""The shipped default scheme, created once (``bianhe init``), never overwritten: the
ministry edits it into new versions."""

from __future__ import annotations

from pathlib import Path

from bianhe.audit.models import Source
from bianhe.evaluation.actions import do_save_scheme
from bianhe.evaluation.commands import DEFAULT_CODE
from bianhe.evaluation.models import Scheme

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "default_scheme.yaml"


def ensure_default_scheme() -> Scheme | None:
    """Create the default scheme when no scheme of its code exists; None when it did."""
    if Scheme.objects.filter(code=DEFAULT_CODE).exists():
        return None
    return do_save_scheme(None, DEFAULT_FILE.read_text(encoding="utf-8"), code=DEFAULT_CODE,
                          source=Source.SYSTEM)
