from django.urls import path, re_path

from . import notice_views, views

app_name = "dividends"

urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("runs/new/", views.run_create, name="run_create"),
    path("pools/preview/", views.pools_preview_json, name="pools_preview"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("runs/<int:pk>/approve/", views.run_approve, name="run_approve"),
    path("runs/<int:pk>/recompute/", views.run_recompute, name="run_recompute"),
    path("runs/<int:pk>/retry/", views.run_retry, name="run_retry"),
    path("runs/<int:pk>/lines/", views.run_lines, name="run_lines"),
    re_path(
        r"^runs/(?P<pk>[0-9]+)/export/(?P<kind>bank|notice)\.(?P<file_format>xlsx|csv)$",
        views.run_export,
        name="run_export",
    ),
    path("runs/<int:pk>/notice/", notice_views.notice_page, name="notice"),
    path("runs/<int:pk>/paid/", notice_views.run_mark_paid, name="run_mark_paid"),
    path("notice/<str:token>/", notice_views.notice_public, name="notice_public"),
    path("runs/<int:pk>/statement/<int:household_id>/", views.statement, name="statement"),
]
