from django.urls import path

from bianhe.analytics import dashboard_views, sdmx_views, views

app_name = "analytics"
urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("zones/<str:code>/", dashboard_views.zone_profile, name="profile"),
    path("pivot/", views.pivot, name="pivot"),
    path("pivot/export/", views.pivot_export, name="pivot_export"),
    path("views/save/", views.view_save, name="view_save"),
    path("views/<int:view_id>/delete/", views.view_delete, name="view_delete"),
    path("sdmx/", sdmx_views.sdmx_index, name="sdmx"),
    path("sdmx/structure.xml", sdmx_views.sdmx_structure, name="sdmx_structure"),
    path("sdmx/data.xml", sdmx_views.sdmx_generic, name="sdmx_generic"),
    path("sdmx/data.csv", sdmx_views.sdmx_csv, name="sdmx_csv"),
]
