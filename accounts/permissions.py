from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

PASSWORD_CHANGE_REQUIRED = "password_change_required"


class PasswordChanged(BasePermission):
    """A login that still has its issued initial password may not use the API
    (checked before the view runs, so nothing is read or written).

    The refusal is the one the middleware gives a session (docs/villagers.md):
    `403 {"detail": …, "code": "password_change_required"}`, also when the caller
    authenticated inside the view — HTTP Basic or an API token of that login."""

    message = {"detail": _("请先修改初始密码。"), "code": PASSWORD_CHANGE_REQUIRED}
    code = PASSWORD_CHANGE_REQUIRED

    def has_permission(self, request, view):
        return not getattr(request.user, "must_change_password", False)
