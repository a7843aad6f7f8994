from django.urls import path

from bianhe.targets import views

app_name = "targets"
urlpatterns = [
    path("", views.target_list, name="list"),
    path("tracking/", views.tracking, name="tracking"),
    path("tracking.xlsx", views.tracking_export, name="tracking_export"),
    path("completion/", views.completion, name="completion"),
    path("completion.xlsx", views.completion_export, name="completion_export"),
    path("<int:year>/<str:code>/", views.target_set, name="set"),
    path("<int:year>/<str:code>/save/", views.save_target, name="save"),
    path("<int:year>/<str:code>/delete/", views.delete_target, name="delete"),
    path("<int:year>/<str:code>/move/<str:name>/", views.move, name="move"),
]
