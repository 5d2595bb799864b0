from django.urls import path, re_path

from . import notice_views, views

app_name = "dividends"

urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("runs/new/", views.run_create, name="run_create"),
    path("pools/preview/", views.pools_preview_json, name="pools_preview"),
    path("runs/<id:pk>/", views.run_detail, name="run_detail"),
    path("runs/<id:pk>/progress/", views.run_progress, name="run_progress"),
    path("runs/<id:pk>/approve/", views.run_approve, name="run_approve"),
    path("runs/<id:pk>/recompute/", views.run_recompute, name="run_recompute"),
    path("runs/<id:pk>/retry/", views.run_retry, name="run_retry"),
    path("runs/<id:pk>/lines/", views.run_lines, name="run_lines"),
    # A regex route cannot use the `id` converter: the pattern bounds the digits instead
    # (a number above the largest id matches no run: 404).
    re_path(
        r"^runs/(?P<pk>[0-9]{1,19})/export/(?P<kind>bank|notice)\.(?P<file_format>xlsx|csv)$",
        views.run_export,
        name="run_export",
    ),
    path("runs/<id:pk>/notice/", notice_views.notice_page, name="notice"),
    path("runs/<id:pk>/paid/", notice_views.run_mark_paid, name="run_mark_paid"),
    path("notice/<str:token>/", notice_views.notice_public, name="notice_public"),
    path("runs/<id:pk>/statement/<id:household_id>/", views.statement, name="statement"),
]
