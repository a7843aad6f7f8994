from django.urls import path

from bianhe.reporting import excel_views, import_views, views

app_name = "reporting"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("bulk/<str:name>/", views.bulk_transition, name="bulk"),
    path("report/<int:report_id>/<str:name>/", views.transition, name="transition"),
    path("import/", import_views.import_values, name="import"),
    path("excel/<str:form>/<str:period>/template.xlsx", excel_views.template,
         name="excel_template"),
    path("excel/<str:form>/<str:period>/upload/", excel_views.upload, name="excel_upload"),
    path("timeliness/", views.timeliness, name="timeliness"),
    path("forms/", views.form_list, name="forms"),
    path("changes.csv", views.changes_export, name="changes_export"),
    path("changes/export/", views.changes_job, name="changes_job"),
    path("<str:code>/<str:form>/<str:period>/", views.entry, name="entry"),
    path("<str:code>/<str:form>/<str:period>/cell/", views.save_cell, name="save_cell"),
    path("<str:code>/<str:form>/<str:period>/history/", views.history, name="history"),
]
