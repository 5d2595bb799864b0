"""The household pages of the `villages` namespace that compose several apps
(overview/household_views.py); pinghu_points/urls.py joins them to villages/urls.py."""

from django.urls import path

from . import household_views

urlpatterns = [
    path("households/", household_views.household_list, name="household_list"),
    path("households/<id:pk>/", household_views.household_detail, name="household_detail"),
]
