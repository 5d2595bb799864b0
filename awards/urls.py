from django.urls import path, re_path

from . import views

app_name = "awards"

urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("runs/new/", views.run_create, name="run_create"),
    path("runs/<id:pk>/", views.run_detail, name="run_detail"),
    path("runs/<id:pk>/progress/", views.run_progress, name="run_progress"),
    path("runs/<id:pk>/approve/", views.run_approve, name="run_approve"),
    path("runs/<id:pk>/recompute/", views.run_recompute, name="run_recompute"),
    path("runs/<id:pk>/retry/", views.run_retry, name="run_retry"),
    re_path(
        r"^runs/(?P<pk>[0-9]{1,19})/export/(?P<kind>bank|notice)\.(?P<file_format>xlsx|csv)$",
        views.run_export,
        name="run_export",
    ),
    path("runs/<id:pk>/notice/", views.notice_page, name="notice"),
]
