"""Every change to schemes, runs and the results' visibility: access checked, audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bianhe.access import require, require_right
from bianhe.audit.actions import record
from bianhe.audit.models import Source
from bianhe.evaluation.inputs import check_catalogue, has_accepted_data
from bianhe.evaluation.models import (
    EvaluationRun,
    EvaluationSettings,
    RunState,
    Scheme,
    Visibility,
)
from bianhe.evaluation.schemes import SchemeError, parse
from bianhe.jobs.actions import do_start_job
from bianhe.roles import Action

MIN_REPLICATIONS, MAX_REPLICATIONS = 100, 20000


def _invalid(exc: SchemeError) -> ValidationError:
    return ValidationError(str(exc), code="scheme")


def do_save_scheme(actor, text: str, *, code: str = "", base: Scheme | None = None,
                   new_version: bool = False, source: str = Source.WEB,
                   ip_address: str | None = None) -> Scheme:
    """Create a scheme (``code``), change ``base`` in place, or save ``base``'s next
    version (``new_version``). A frozen scheme (used by a published run) is never
    changed in place."""
    if base is not None:
        require(Scheme.objects, actor, Action.CHANGE, base)
    else:
        require_right(actor, Action.CHANGE)
    try:
        parsed = parse(text)
    except SchemeError as exc:
        raise _invalid(exc) from None
    user = actor if actor is not None and actor.is_authenticated else None
    fields = {"name": parsed.name or (base.name if base else code),
              "description": parsed.description, "text": text}
    with transaction.atomic():
        if base is not None and not new_version:
            if base.is_frozen:
                raise ValidationError(_(
                    "Version %(version)d of this scheme is used by a published evaluation and "
                    "cannot change; save your changes as a new version.")
                    % {"version": base.version})
            before = {"name": base.name, "text": base.text}
            for name, value in fields.items():
                setattr(base, name, value)
            base.save()
            record(actor=actor, action="evaluation.scheme.update", obj=base, before=before,
                   after={"name": base.name, "text": base.text}, source=source,
                   ip_address=ip_address)
            return base
        code = base.code if base is not None else code.strip()
        if not code:
            raise ValidationError(_("A new scheme needs a code."))
        if base is None and Scheme.objects.filter(code=code).exists():
            raise ValidationError(_("A scheme with the code %(code)s exists already.")
                                  % {"code": code})
        version = (Scheme.objects.filter(code=code).aggregate(v=Max("version"))["v"] or 0) + 1
        scheme = Scheme.objects.create(code=code, version=version, created_by=user, **fields)
        record(actor=actor, action="evaluation.scheme.create", obj=scheme,
               after={"code": code, "version": version, "name": scheme.name,
                      **({"from_version": base.version} if base is not None else {})},
               source=source, ip_address=ip_address)
        return scheme


def prepared_spec(scheme: Scheme, pillar_weights: dict[str, float] | None) -> dict:
    """The engine spec of a run: the scheme's, with the top-level weights replaced for a
    what-if variant."""
    parsed = parse(scheme.text)
    spec = parsed.engine
    if pillar_weights:
        pillars = [child["code"] for child in spec["index"]["children"]]
        unknown = sorted(set(pillar_weights) - set(pillars))
        if unknown:
            raise ValidationError(_("Unknown pillar: %(codes)s.") % {"codes": "、".join(unknown)})
        weights = [float(pillar_weights.get(code, 0)) for code in pillars]
        if any(w < 0 for w in weights) or not sum(weights) > 0:
            raise ValidationError(_("Pillar weights must not be negative and must not all be "
                                    "zero."))
        spec["index"]["weights"] = weights
    return spec


def _check_year(year: int) -> None:
    """An annual evaluation needs an ended year with figures the ministry accepted."""
    if year >= timezone.localdate().year:
        raise ValidationError(_("%(year)d has not ended: an annual evaluation needs the whole "
                                "year's accepted figures.") % {"year": year})
    if not has_accepted_data(year):
        raise ValidationError(_("%(year)d has no data accepted by the ministry: there is "
                                "nothing to evaluate.") % {"year": year})


def _record_and_start(actor, fields: dict, after: dict, *, source: str,
                      ip_address: str | None, queue: bool = True,
                      rerun_of=None) -> EvaluationRun:
    """Create the run, audit its start and start its job (``run.job``), in one transaction."""
    user = actor if actor is not None and actor.is_authenticated else None
    with transaction.atomic():
        run = EvaluationRun.objects.create(created_by=user, **fields)
        record(actor=actor, action="evaluation.run.start", obj=run,
               after={"scheme": str(run.scheme), "year": run.year, "variant": run.is_variant,
                      "label": run.label, "replications": run.replications, **after},
               source=source, ip_address=ip_address)
        run.job = do_start_job(actor, "evaluation.run", {"evaluation_run": run.pk},
                               source=source, ip_address=ip_address, queue=queue,
                               rerun_of=rerun_of)
        run.save(update_fields=["job"])
    return run


def do_start_run(actor, scheme: Scheme, year: int, *, label: str = "",
                 variant: bool = False, pillar_weights: dict[str, float] | None = None,
                 replications: int = 1000, seed: int = 0, sensitivity: bool = False,
                 source: str = Source.WEB, ip_address: str | None = None,
                 queue: bool = True) -> EvaluationRun:
    """Check the year and the scheme, record the run and start its job (``run.job``)."""
    require_right(actor, Action.CHANGE)
    require(Scheme.objects, actor, Action.VIEW, scheme)
    if not MIN_REPLICATIONS <= int(replications) <= MAX_REPLICATIONS:
        raise ValidationError(_("Monte-Carlo replications must be between %(low)d and "
                                "%(high)d.") % {"low": MIN_REPLICATIONS,
                                                "high": MAX_REPLICATIONS})
    _check_year(year)
    try:
        parsed = parse(scheme.text)
        check_catalogue(parsed, year)
    except SchemeError as exc:
        raise _invalid(exc) from None
    spec = prepared_spec(scheme, pillar_weights)
    fields = {"scheme": scheme, "year": year, "label": label.strip()[:100],
              "is_variant": bool(variant or pillar_weights),
              "replications": int(replications), "seed": int(seed),
              "sensitivity": bool(sensitivity), "min_coverage": parsed.min_coverage,
              "spec": spec}
    return _record_and_start(actor, fields,
                             {"pillar_weights": pillar_weights} if pillar_weights else {},
                             source=source, ip_address=ip_address, queue=queue)


def do_repeat_run(actor, run: EvaluationRun, *, source: str = Source.WEB,
                  ip_address: str | None = None, rerun_of=None) -> EvaluationRun:
    """Start a new run with the same scheme, year, spec and options (the job page's "run
    again"): a run's results are never computed a second time over, least of all a
    published run's, whose snapshot is the record of what was published."""
    require(EvaluationRun.objects, actor, Action.CHANGE, run)
    _check_year(run.year)
    fields = {name: getattr(run, name) for name in (
        "scheme", "year", "label", "is_variant", "replications", "seed", "sensitivity",
        "min_coverage", "spec")}
    return _record_and_start(actor, fields, {"from_run": run.pk}, source=source,
                             ip_address=ip_address, rerun_of=rerun_of)


def do_publish_run(actor, run: EvaluationRun, *, source: str = Source.WEB,
                   ip_address: str | None = None) -> EvaluationRun:
    """Publish a computed run: provinces and zones then see it, and its scheme freezes."""
    require(EvaluationRun.objects, actor, Action.CHANGE, run)
    with transaction.atomic():
        run = EvaluationRun.objects.select_for_update().get(pk=run.pk)
        if run.is_published:
            raise ValidationError(_("This evaluation was published already."))
        if run.state != RunState.DONE:
            raise ValidationError(_("Only a computed evaluation can be published."))
        if run.is_variant:
            raise ValidationError(_("A variant is for comparison and is not published; run "
                                    "the scheme itself to publish."))
        other = EvaluationRun.objects.filter(year=run.year, published_at__isnull=False).first()
        if other is not None:
            raise ValidationError(_("An evaluation of %(year)d is published already (run "
                                    "%(id)d).") % {"year": run.year, "id": other.pk})
        run.published_at = timezone.now()
        run.published_by = actor if actor is not None and actor.is_authenticated else None
        try:
            run.save(update_fields=["published_at", "published_by"])
        except IntegrityError:  # another publication of the year won the race
            raise ValidationError(_("An evaluation of %(year)d is published already.")
                                  % {"year": run.year}) from None
        record(actor=actor, action="evaluation.run.publish", obj=run,
               after={"year": run.year, "scheme": str(run.scheme), "run_hash": run.run_hash},
               source=source, ip_address=ip_address)
    return run


def do_set_visibility(actor, visibility: str, *, source: str = Source.WEB,
                      ip_address: str | None = None) -> EvaluationSettings:
    require_right(actor, Action.CHANGE)
    if visibility not in Visibility.values:
        raise ValidationError(_("Choose what provinces and zones see."))
    with transaction.atomic():
        settings = EvaluationSettings.objects.order_by("pk").first() or EvaluationSettings()
        before = settings.visibility if settings.pk else Visibility.OWN
        settings.visibility = visibility
        settings.save()
        record(actor=actor, action="evaluation.settings.update", obj=settings,
               before={"visibility": before}, after={"visibility": visibility},
               source=source, ip_address=ip_address)
    return settings
