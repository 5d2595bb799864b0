from django.urls import path

from . import import_job_views, import_views, town_views, views

app_name = "villages"

# The household list and page are overview/household_urls.py's (they compose several
# apps); pinghu_points/urls.py puts them in this namespace, before these patterns.

urlpatterns = [
    path("households/<id:pk>/transfer/", views.share_transfer, name="share_transfer"),
    path("households/import/", import_views.household_import, name="household_import"),
    path(
        "households/import/sample/",
        import_views.household_import_sample,
        name="household_import_sample",
    ),
    path("towns/import/", town_views.town_import, name="town_import"),
    path("towns/import/sample/", town_views.town_import_sample, name="town_import_sample"),
    path("imports/<id:pk>/", import_job_views.import_job_detail, name="import_job"),
    path(
        "imports/<id:pk>/progress/",
        import_job_views.import_job_progress,
        name="import_job_progress",
    ),
    path("imports/<id:pk>/retry/", import_job_views.import_job_retry, name="import_job_retry"),
    path(
        "imports/<id:pk>/errors.xlsx",
        import_job_views.import_job_errors,
        name="import_job_errors",
    ),
]
