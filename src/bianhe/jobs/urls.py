from django.urls import path

from bianhe.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:job_id>/", views.job_page, name="job"),
    path("<int:job_id>/download/", views.job_download, name="download"),
    path("<int:job_id>/rerun/", views.job_rerun, name="rerun"),
]
