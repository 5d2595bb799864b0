from django.urls import path

from . import views

app_name = "banking"

urlpatterns = [
    path("", views.bank_home, name="home"),
    path("lookup/", views.bank_lookup, name="lookup"),
    path("export/", views.bank_export, name="export"),
    path("desk/<id:household_id>/", views.consent_desk, name="desk"),
    path("consents/<id:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
