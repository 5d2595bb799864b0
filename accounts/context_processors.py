from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Short labels for the phone's bottom tab bar: five tabs share 360 px.
TAB_LABELS = {
    "home": pgettext_lazy("tab", "首页"),
    "card": pgettext_lazy("tab", "积分卡"),
    "honor": pgettext_lazy("tab", "红榜"),
    "bank": pgettext_lazy("tab", "名单"),
    "bank_lookup": pgettext_lazy("tab", "查询"),
    "households": pgettext_lazy("tab", "股东户"),
    "overview": pgettext_lazy("tab", "总览"),
    "door": pgettext_lazy("tab", "入户"),
    "review": pgettext_lazy("tab", "复核"),
    "months": pgettext_lazy("tab", "关账"),
    "dividends": pgettext_lazy("tab", "分红"),
    "approval": pgettext_lazy("tab", "审批"),
    "appeals": pgettext_lazy("tab", "申诉"),
    "audit": pgettext_lazy("tab", "审计"),
    "password": pgettext_lazy("tab", "密码"),
}

# Destinations for a desk, not offered in the phone's user menu (still on the desktop bar).
DESK_ONLY = frozenset({"batch"})

# Each role's main destinations, in tab order: what that person opens most days.
TABS_BY_ROLE = (
    # A villager's and a bank officer's home redirects to their page: no home tab.
    ("is_villager", ("card", "honor", "password")),
    ("is_bank", ("bank", "bank_lookup", "password")),
    ("is_community_staff", ("home", "door", "households", "review", "months")),
    ("is_accountant", ("home", "households", "dividends", "appeals", "overview")),
    ("is_supervisor", ("home", "approval", "households", "overview")),
    ("is_town_admin", ("home", "overview", "households", "dividends", "audit")),
    # The city admin reads: every town's overview, register, runs and the audit trail.
    ("is_city_admin", ("home", "overview", "households", "dividends", "audit")),
)


def _menu(user):
    """(key, label, url) for every destination the user's role has, in menu order."""
    items = [("home", _("首页"), reverse("home"))]
    if user.is_villager:
        items.append(("card", _("积分卡"), reverse("card:mine")))
        items.append(("honor", _("红榜"), reverse("overview:honor_roll")))
        items.append(("matters", _("议事"), reverse("matters:mine")))
    if user.is_bank:
        items.append(("bank", _("善治金融"), reverse("banking:home")))
        items.append(("bank_lookup", _("按身份证号查询"), reverse("banking:lookup")))
    if user.may_read_overview:
        items.append(("households", _("股东户"), reverse("villages:household_list")))
        items.append(("overview", _("街道总览"), reverse("overview:matrix")))
    if user.may_score:
        items.append(("door", _("入户评分"), reverse("communities:door")))
        items.append(("batch", _("批量录入"), reverse("communities:batch_entry")))
        items.append(("review", _("积分复核"), reverse("communities:review_queue")))
        items.append(("chart", _("美丽积分图"), reverse("communities:points_chart")))
        items.append(("months", _("月度关账"), reverse("communities:month_list")))
        items.append(("event_import", _("导入检查表"), reverse("communities:score_event_import")))
        items.append(("print", _("打印积分卡"), reverse("card:print")))
        items.append(("matters", _("议事"), reverse("matters:list")))
    if user.may_pay:
        items.append(("register_import", _("导入股东名册"), reverse("villages:household_import")))
        items.append(("dividends", _("分红"), reverse("dividends:run_list")))
        items.append(("awards", _("奖励发放"), reverse("awards:run_list")))
    elif user.may_sign:
        items.append(("approval", _("分红审批"), reverse("dividends:run_list")))
        items.append(("awards", _("奖励审批"), reverse("awards:run_list")))
    elif user.may_read_runs:
        items.append(("dividends", _("分红"), reverse("dividends:run_list")))
        items.append(("awards", _("奖励发放"), reverse("awards:run_list")))
    if user.may_answer_appeals:
        items.append(("appeals", _("申诉"), reverse("appeals:list")))
    if user.may_keep_logins:
        items.append(("lockouts", _("登录锁定"), reverse("accounts:lockouts")))
    if user.may_read_audit:
        items.append(("audit", _("审计记录"), reverse("accounts:audit_list")))
    if user.may_set_up_towns:
        items.append(("town_import", _("设置镇（街道）"), reverse("villages:town_import")))
    if user.is_staff:
        items.append(("admin", _("管理后台"), reverse("admin:index")))
    items.append(("password", _("修改密码"), reverse("accounts:password_change")))
    return items


def _current(items, path):
    """The destination the page belongs to: the longest menu address the path starts with."""
    home = reverse("home")
    best = None
    for key, label, url in items:
        matches = path == url if url == home else path.startswith(url)
        if matches and (best is None or len(url) > len(best[2])):
            best = (key, label, url)
    return best


def navigation(request):
    """The menu, the phone's tab bar and the page's section for the user's role.

    Menus are a convenience; scope is enforced in views.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "phone_nav_items": [], "tab_items": [], "current_section": None}
    menu = _menu(user)
    current = _current(menu, request.path)
    by_key = {key: url for key, _label, url in menu}
    tab_keys = next((keys for role, keys in TABS_BY_ROLE if getattr(user, role, False)), ("home",))
    tabs = [
        (TAB_LABELS[key], by_key[key], current is not None and current[0] == key)
        for key in tab_keys
        if key in by_key
    ]
    return {
        # The password page sits in the user menu, not in the list of destinations.
        "nav_items": [(label, url) for key, label, url in menu if key != "password"],
        # The phone's user menu leaves out the desk-only pages (the spreadsheet of 批量录入
        # needs a wide screen; the door app is the phone's way to enter points).
        "phone_nav_items": [
            (label, url) for key, label, url in menu if key != "password" and key not in DESK_ONLY
        ],
        "tab_items": tabs,
        "current_section": current[1] if current else None,
    }
