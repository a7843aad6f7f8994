from django.urls import path

from bianhe.reporting import import_views, views

app_name = "reporting"
#: The entry grid, the transitions and the Excel pages are the review desk's: the project's
#: URL map adds ``review.urls.reporting_patterns`` to these under the same namespace.
urlpatterns = [
    path("", views.report_list, name="list"),
    path("import/", import_views.import_values, name="import"),
    path("timeliness/", views.timeliness, name="timeliness"),
    path("forms/", views.form_list, name="forms"),
    path("changes.csv", views.changes_export, name="changes_export"),
    path("changes/export/", views.changes_job, name="changes_job"),
    path("<str:code>/<str:form>/<str:period>/history/", views.history, name="history"),
]
