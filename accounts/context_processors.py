from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request):
    """The menu for the user's role. Menus are a convenience; scope is enforced in views."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [(_("首页"), reverse("home"))]
    if user.is_subdistrict_admin or user.is_accountant or user.is_community_staff:
        items.append((_("股东户"), reverse("villages:household_list")))
    if user.is_subdistrict_admin or user.is_accountant:
        items.append((_("导入股东名册"), reverse("villages:household_import")))
    if user.is_subdistrict_admin:
        items.append((_("审计记录"), reverse("accounts:audit_list")))
    if user.is_staff:
        items.append((_("管理后台"), reverse("admin:index")))
    return {"nav_items": items}
