from django.urls import path

from bianhe.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.indicator_list, name="list"),
    path("copy/", views.copy_version, name="copy"),
    path("<int:year>/<str:indicator>/", views.indicator_detail, name="detail"),
    path("<int:year>/<str:indicator>/edit/", views.indicator_edit, name="edit"),
]
