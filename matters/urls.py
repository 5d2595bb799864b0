"""Matters (议事), included at /matters/ (see `views`)."""

from django.urls import path

from . import board_views, door_views, views

app_name = "matters"

urlpatterns = [
    path("", views.matter_list, name="list"),
    path("new/", views.matter_new, name="new"),
    path("mine/", views.my_matters, name="mine"),
    path("export.xlsx", views.matter_export, name="export"),
    path("board/", board_views.board_page, name="board"),
    path("board/p/<str:token>/", board_views.board_public, name="board_public"),
    path("leaders/", board_views.leader_page, name="leaders"),
    # The door app's records made without signal (matters/door_views.py).
    path("door/records/data/", door_views.door_records_data, name="door_records_data"),
    path("door/records/sync/", door_views.door_records_sync, name="door_records_sync"),
    path("<id:pk>/", views.matter_detail, name="detail"),
]
