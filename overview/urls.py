from django.urls import path

from . import views

app_name = "overview"

urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("matrix/<id:village_id>/<id:community_id>/", views.matrix_cell, name="matrix_cell"),
    path("statistics/", views.statistics, name="statistics"),
    path("honor-roll/", views.honor_roll, name="honor_roll"),
    path(
        "honor-roll/<id:community_id>/setting/",
        views.honor_roll_setting,
        name="honor_roll_setting",
    ),
    path("cooperatives/", views.cooperatives, name="cooperatives"),
    path("towns/", views.towns, name="towns"),
]
