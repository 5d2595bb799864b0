"""The shareholder point card (股东积分卡), included at /card/ (see `card_views`)."""

from django.urls import path

from . import card_views

app_name = "card"

urlpatterns = [
    path("", card_views.mine, name="mine"),
    path("print/", card_views.print_cards, name="print"),
    path("<id:household_id>/", card_views.household_card, name="household"),
]
