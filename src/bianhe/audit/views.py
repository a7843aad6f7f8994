import csv
import json

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from bianhe.access import require_right
from bianhe.audit.forms import AuditFilterForm
from bianhe.audit.labels import (
    action_label,
    actor_label,
    changes,
    object_type_label,
    readable,
)
from bianhe.audit.models import AuditLog
from bianhe.roles import Action

EXPORT_COLUMNS = ("id", "at", "actor_name", "action", "object_type", "object_id",
                  "object_repr", "source", "ip_address", "before", "after",
                  # Readable columns, as the page shows them; the raw ones stay for machines.
                  "actor_label", "action_label", "object_type_label", "source_label",
                  "changes")



def _entries(request):
    require_right(request.user, Action.ADMINISTER)
    form = AuditFilterForm(request.GET or None)
    return form, form.apply(AuditLog.objects.restrict(request.user))


def audit_list(request):
    form, entries = _entries(request)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    context: dict = {}
    page.object_list = [readable(entry, context) for entry in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/list.html", {"form": form, "page": page,
                                               "query": query.urlencode()})


class _Echo:
    def write(self, value):
        return value


def audit_export(request):
    """The filtered log as CSV, streamed so that a long log does not fill memory."""
    _form, entries = _entries(request)
    writer = csv.writer(_Echo())

    def rows():
        context: dict = {}
        yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
        for entry in entries.iterator(chunk_size=2000):
            yield writer.writerow([
                entry.pk, timezone.localtime(entry.at).isoformat(), entry.actor_name,
                entry.action, entry.object_type, entry.object_id, entry.object_repr,
                entry.source, entry.ip_address or "",
                "" if entry.before is None else json.dumps(entry.before, ensure_ascii=False),
                "" if entry.after is None else json.dumps(entry.after, ensure_ascii=False),
                actor_label(entry.actor_name), action_label(entry.action),
                object_type_label(entry.object_type), entry.get_source_display(),
                "；".join(str(change) for change in
                         changes(entry.object_type, entry.before, entry.after,
                                 entry.action, context)),
            ])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="bianhe-audit.csv"'
    return response
