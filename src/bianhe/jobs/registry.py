"""The kinds of job: each app registers the functions it runs in the background.

A kind's ``run(job, progress)`` does the work and returns a JSON-able result; it calls
``progress(done, total, message)`` after each step (that call is also the heartbeat). The
jobs app imports no other app: apps register their kinds from ``AppConfig.ready``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from bianhe.roles import Action


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    run: Callable
    #: The right the starter needs (checked by ``do_start_job``; None: the platform itself).
    right: str = Action.VIEW
    #: How to start a job of this kind again from its params (default: ``do_start_job``);
    #: a kind with its own record (a quality run) starts through its own action.
    start: Callable | None = None
    #: Called when a job of this kind failed without running its own handler (its worker
    #: was killed), so that the kind's own record can say so too.
    on_failed: Callable | None = None


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.code] = kind
    return kind


def get_kind(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise LookupError(f"no job kind {code!r} is registered") from None


def kind_label(code: str) -> str:
    """The kind's name in the reader's language; the code for a kind no longer registered."""
    kind = KINDS.get(code)
    return str(kind.label) if kind else code


def run_probe(job, progress) -> dict:
    """A diagnostic job: ``steps`` steps of ``pause`` seconds, each reported as progress.

    It measures the queue (the job benchmark) and lets an administrator check that a worker
    is running; it reads and writes nothing but its own row.
    """
    steps = int(job.params.get("steps", 1))
    pause = float(job.params.get("pause", 0))
    progress(0, steps, "")
    for step in range(1, steps + 1):
        if pause:
            time.sleep(pause)
        progress(step, steps, "")
    return {"steps": steps}


PROBE = register(Kind("jobs.probe", _("Worker check"), run_probe, right=Action.ADMINISTER))
