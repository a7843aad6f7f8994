from django.urls import path

from bianhe.quality import views

app_name = "quality"
#: The grid's explain and accept actions are the review desk's (``review.urls``).
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("followup/", views.followup, name="followup"),
    path("completeness/", views.completeness_page, name="completeness"),
    path("completeness.csv", views.completeness_export, name="completeness_export"),
    path("scores/", views.scores_page, name="scores"),
    path("rules/", views.rules_page, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<str:rule_code>/", views.rule_edit, name="rule_edit"),
    path("outliers/", views.outlier_settings_page, name="outliers"),
    path("runs/", views.runs_fragment, name="runs"),
    path("runs/start/", views.run_start, name="run_start"),
]
