"""Recomputing a run from its snapshot: the same inputs, spec and engine must give the
same results, bit for bit."""

from __future__ import annotations

from dataclasses import dataclass

from bianhe.evaluation.compute import (
    canonical,
    engine_digest,
    evaluate,
    frame_of,
    results_hash,
    run_hash,
    sha256,
)
from bianhe.evaluation.jobs import options_of
from bianhe.evaluation.models import EvaluationRun


@dataclass
class Verification:
    run: EvaluationRun
    inputs_intact: bool   # the stored snapshot still hashes to the stored input hash
    same_engine: bool     # the engine's code is the one that computed the run
    run_hash_ok: bool
    results_identical: bool

    @property
    def ok(self) -> bool:
        return self.inputs_intact and self.run_hash_ok and self.results_identical


def verify(run: EvaluationRun) -> Verification:
    input_hash = sha256(canonical(run.inputs))
    digest = engine_digest()
    again = evaluate(frame_of(run.inputs), run.spec, replications=run.replications,
                     seed=run.seed, min_coverage=run.min_coverage,
                     with_sensitivity=run.sensitivity,
                     previous=run.inputs.get("previous") or {})
    return Verification(
        run=run, inputs_intact=input_hash == run.input_hash,
        same_engine=digest == run.engine_digest,
        run_hash_ok=run_hash(input_hash, run.spec, run.engine_digest,
                             options_of(run)) == run.run_hash,
        results_identical=results_hash(again) == run.results_hash)
