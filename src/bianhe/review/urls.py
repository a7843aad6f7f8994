"""The review desk's routes. Their URLs and names are reporting's and quality's, unchanged:
the project's URL map puts each list under its namespace (``bianhe/urls.py``)."""

from django.urls import path

from bianhe.review import excel_views, views

#: Under /reporting/, namespace "reporting" (after reporting's own routes).
reporting_patterns = [
    path("bulk/<str:name>/", views.bulk_transition, name="bulk"),
    path("report/<int:report_id>/<str:name>/", views.transition, name="transition"),
    path("excel/<str:form>/<str:period>/template.xlsx", excel_views.template,
         name="excel_template"),
    path("excel/<str:form>/<str:period>/upload/", excel_views.upload, name="excel_upload"),
    path("<str:code>/<str:form>/<str:period>/", views.entry, name="entry"),
    path("<str:code>/<str:form>/<str:period>/cell/", views.save_cell, name="save_cell"),
]

#: Under /quality/, namespace "quality": the two htmx actions of the entry grid's flags.
quality_patterns = [
    path("report/<int:report_id>/explain/", views.explain, name="explain"),
    path("report/<int:report_id>/accept/", views.accept, name="accept"),
]
