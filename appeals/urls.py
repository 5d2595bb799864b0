"""Appeals (申诉), included at /appeals/ (see `views`)."""

from django.urls import path

from . import views

app_name = "appeals"

urlpatterns = [
    path("", views.appeal_list, name="list"),
    path("<id:pk>/", views.appeal_detail, name="detail"),
    path("new/event/<id:event_id>/", views.file_on_event, name="file_event"),
    path("new/line/<id:line_id>/", views.file_on_line, name="file_line"),
]
