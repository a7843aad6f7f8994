from django.urls import path

from bianhe.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("settings/", views.set_visibility, name="settings"),
    path("compare/", views.compare, name="compare"),
    path("schemes/", views.scheme_list, name="schemes"),
    path("schemes/new/", views.scheme_new, name="scheme_new"),
    path("schemes/<int:scheme_id>/", views.scheme_detail, name="scheme"),
    path("schemes/<int:scheme_id>/edit/", views.scheme_edit, name="scheme_edit"),
    path("runs/new/", views.start_run, name="start"),
    path("runs/<int:run_id>/", views.run_page, name="run"),
    path("runs/<int:run_id>/publish/", views.publish, name="publish"),
    path("runs/<int:run_id>/ranking.xlsx", views.ranking_xlsx, name="ranking_xlsx"),
    path("runs/<int:run_id>/zones/<str:code>/", views.scorecard, name="scorecard"),
]
