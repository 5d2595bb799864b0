"""Matters (议事), included at /matters/ (see `views`)."""

from django.urls import path

from . import views

app_name = "matters"

urlpatterns = [
    path("", views.matter_list, name="list"),
    path("new/", views.matter_new, name="new"),
    path("mine/", views.my_matters, name="mine"),
    path("export.xlsx", views.matter_export, name="export"),
    path("<id:pk>/", views.matter_detail, name="detail"),
]
