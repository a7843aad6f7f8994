"""The analytics fact table and saved pivot views.

:class:`Fact` holds one row per value of every report that is out of the zone's hands
(submitted, approved or accepted), with the report's status beside it. It is written in the
same transaction as each workflow transition (:mod:`bianhe.analytics.facts`), so a value the
ministry accepts is in official analytics when the transaction commits — there is no nightly
job. Values of draft and returned reports never reach it: they can still change, and the
import path (issue 3's 50,000 values/s target) does not pay for a second write.

The comparison that chose this design over querying ``DataValue`` ⨝ ``Report`` directly is
in ``docs/architecture.md`` (measured by ``bench/bench_analytics.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bianhe.access import RestrictedQuerySet, can
from bianhe.analytics.scopes import scope_key
from bianhe.roles import Action


class FactQuerySet(RestrictedQuerySet):
    unit_path_lookup = "zone__path"


class Fact(models.Model):
    report = models.ForeignKey("reporting.Report", on_delete=models.CASCADE,
                               related_name="+", db_index=True)
    zone = models.ForeignKey("zones.OrgUnit", on_delete=models.PROTECT, related_name="+",
                             db_index=False)
    indicator_code = models.CharField(max_length=32)
    member = models.CharField(max_length=16, blank=True, default="")
    period = models.CharField(max_length=8)
    status = models.CharField(max_length=16)
    # Float, not Decimal: analytics sums and ratios run in numpy, and converting hundreds of
    # thousands of Decimals costs more than the query. DataValue keeps the exact figure.
    value = models.FloatField()
    is_demo = models.BooleanField(default=False)

    objects = FactQuerySet.as_manager()

    class Meta:
        indexes = [
            # Every analytics read is "these indicators (and members), these periods": the
            # key leads with them, and the columns a query returns follow, so that SQLite
            # and PostgreSQL answer from the index alone.
            models.Index(fields=["indicator_code", "member", "period", "status", "zone",
                                 "value", "is_demo"], name="analytics_fact_read"),
        ]
        constraints = [models.UniqueConstraint(
            fields=["report", "indicator_code", "member"], name="one_fact_per_cell")]

    def __str__(self) -> str:
        return f"{self.indicator_code}/{self.member} {self.period} = {self.value}"


class SavedViewQuerySet(RestrictedQuerySet):
    def restrict(self, user, action: str = Action.VIEW):
        """To view: the views the user owns, and views shared by users with the very same
        scope. Any other action (change, delete): the user's own views only, whatever the
        role; owning a view is the right to change it."""
        if not can(user, Action.VIEW):
            return self.none()
        if action != Action.VIEW:
            return self.filter(owner=user)
        from django.db.models import Q

        return self.filter(Q(owner=user) | Q(is_shared=True, scope_key=scope_key(user)))


class SavedView(models.Model):
    """A pivot query saved under a name; shared views are seen by users of the same scope."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="saved_views")
    name = models.CharField(_("name"), max_length=100)
    query = models.JSONField(_("query"))
    is_shared = models.BooleanField(_("shared with users of the same scope"), default=False)
    # The owner's role and scope units when saved ("ministry" for the whole tree, else the
    # sorted scope paths): sharing is among users whose key is equal.
    scope_key = models.CharField(max_length=500, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved view")
        constraints = [models.UniqueConstraint(fields=["owner", "name"],
                                               name="saved_view_name_per_owner")]

    def __str__(self) -> str:
        return self.name
