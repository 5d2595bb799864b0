from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, villager_views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("audit/", views.audit_list, name="audit_list"),
    path(
        "villagers/<id:household_id>/password/",
        villager_views.villager_password,
        name="villager_password",
    ),
    path("lockouts/", villager_views.lockout_list, name="lockouts"),
]
