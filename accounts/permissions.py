from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class PasswordChanged(BasePermission):
    """A login that still has its issued initial password may not use the API
    (checked before the view runs, so nothing is read or written)."""

    message = _("请先修改初始密码")

    def has_permission(self, request, view):
        return not getattr(request.user, "must_change_password", False)
