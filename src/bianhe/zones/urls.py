from django.urls import path

from bianhe.zones import views

app_name = "zones"
urlpatterns = [
    path("", views.zone_list, name="list"),
    path("export.csv", views.zone_export, name="export"),
    path("new/", views.zone_create, name="create"),
    path("<str:code>/", views.zone_detail, name="detail"),
    path("<str:code>/edit/", views.zone_edit, name="edit"),
]
