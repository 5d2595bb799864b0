from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request):
    """The menu for the user's role. Menus are a convenience; scope is enforced in views."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [(_("首页"), reverse("home"))]
    if user.is_villager:
        items.append((_("积分卡"), reverse("card:mine")))
        items.append((_("红榜"), reverse("overview:honor_roll")))
    if user.is_bank:
        items.append((_("善治金融"), reverse("banking:home")))
    if (
        user.is_subdistrict_admin
        or user.is_accountant
        or user.is_supervisor
        or user.is_community_staff
    ):
        items.append((_("股东户"), reverse("villages:household_list")))
        items.append((_("街道总览"), reverse("overview:matrix")))
    if user.is_subdistrict_admin or user.is_community_staff:
        items.append((_("入户评分"), reverse("communities:door")))
        items.append((_("批量录入"), reverse("communities:batch_entry")))
        items.append((_("积分复核"), reverse("communities:review_queue")))
        items.append((_("美丽积分图"), reverse("communities:points_chart")))
        items.append((_("月度关账"), reverse("communities:month_list")))
        items.append((_("导入检查表"), reverse("communities:score_event_import")))
        items.append((_("打印积分卡"), reverse("card:print")))
    if user.is_subdistrict_admin or user.is_accountant:
        items.append((_("导入股东名册"), reverse("villages:household_import")))
        items.append((_("分红"), reverse("dividends:run_list")))
    elif user.is_supervisor:
        items.append((_("分红审批"), reverse("dividends:run_list")))
    if user.is_subdistrict_admin or user.is_community_staff or user.is_accountant:
        items.append((_("申诉"), reverse("appeals:list")))
        items.append((_("登录锁定"), reverse("accounts:lockouts")))
    if user.is_subdistrict_admin:
        items.append((_("审计记录"), reverse("accounts:audit_list")))
    if user.is_staff:
        items.append((_("管理后台"), reverse("admin:index")))
    return {"nav_items": items}
