"""Who may see what: the one place that answers it (DESIGN.md, "Scope").

Every page, export, admin list and API endpoint builds its querysets from
these functions; none filters by role on its own.
"""

from django.db.models import Q
from django.db.models.fields.json import KT

from communities.models import Community, MicroGrid
from villages.models import Cooperative, Household, Town

# The two administrators (docs/towns.md): the city admin (市级, or a superuser) every town's
# rows, a town admin (镇/街道) their own town's. For each model: the paths from its rows
# to a town; a row is a town's if ANY path leads there (a household is its cooperative's
# town's and its community's town's: linkage across towns).
TOWN_PATHS = {
    "villages.Town": ("pk",),
    "villages.Village": ("town",),
    "villages.Cooperative": ("village__town",),
    "villages.Household": ("cooperative__village__town", "community__town"),
    "communities.Community": ("town",),
    "communities.MicroGrid": ("community__town",),
    "communities.ScoringStandard": ("town",),
}


def _active(user):
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _town_q(user, paths):
    q = Q()
    for path in paths:
        q |= Q(**{path: user.town_id})
    return q


def in_towns_of(user, queryset, *paths):
    """The rows of `queryset` an administrator administers: every row for the city admin,
    for a town admin those whose town (along any of `paths`, or the model's TOWN_PATHS)
    is theirs; nothing for anyone else, or a town admin without a town."""
    if not _active(user):
        return queryset.none()
    if user.is_city_admin:
        return queryset
    if not user.is_town_admin or user.town_id is None:
        return queryset.none()
    paths = paths or TOWN_PATHS[queryset.model._meta.label]
    return queryset.filter(_town_q(user, paths))


def towns_visible_to(user):
    """Towns whose overview and records this user reads: every town for the city admin,
    their own for a town admin, the towns of what they see for everyone else."""
    towns = Town.objects.all()
    if not _active(user):
        return towns.none()
    if user.is_admin:
        return in_towns_of(user, towns)
    return towns.filter(
        Q(villages__cooperative__in=cooperatives_visible_to(user))
        | Q(communities__in=communities_visible_to(user))
    ).distinct()


def households_visible_to(user):
    """Households whose register and points this user may read."""
    households = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return households.none()
    if user.is_admin:
        # A town's households: of its cooperatives or living in its communities.
        return in_towns_of(user, households)
    if user.is_community_staff:
        return households.filter(community__staff_memberships__user=user).distinct()
    if user.is_accountant or user.is_supervisor:
        return households.filter(cooperative_id=user.cooperative_id)
    if user.is_villager:
        return households.filter(pk=user.household_id)
    return households.none()


def households_login_keepable_by(user):
    """Households whose villager login this user may create, issue a password for, reset
    and unlock (docs/villagers.md, "发放初始密码"): the staff of the household's community,
    the accountant of its cooperative, the town admin (of its cooperative's or community's
    town; the city admin only reads). Not the supervisor
    (理事长/监事长), who reads the register but must not be able to take over a villager's
    login (and with it the villager's consent to the bank); not the bank, nor villagers."""
    households = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return households.none()
    if user.is_town_admin:
        return in_towns_of(user, households)
    if user.is_community_staff:
        return households.filter(community__staff_memberships__user=user).distinct()
    if user.is_accountant:
        return households.filter(cooperative_id=user.cooperative_id)
    return households.none()


def logins_unlockable_by(user):
    """Logins whose lockout this user may lift: an administrator their town's logins (the
    city admin every login), staff and accountants the villager logins they keep."""
    from accounts.models import User

    users = User.objects.all()
    if not keeps_villager_logins(user) and not (_active(user) and user.is_city_admin):
        return users.none()
    if user.is_admin:
        return admin_rows(user, users)
    return users.filter(role=User.Role.VILLAGER, household__in=households_login_keepable_by(user))


def audit_records_visible_to(user):
    """The audit trail a user reads: all of it for the city admin; for a town admin the
    records of their town's logins (`admin_rows`: its staff, accountants, supervisors,
    villagers and administrators; not the city's nor another town's; a failed login under
    one of their names)."""
    from accounts.models import AuditRecord, User

    records = AuditRecord.objects.all()
    if not _active(user) or not user.may_read_audit:
        return records.none()
    if user.is_city_admin:
        return records
    logins = admin_rows(user, User.objects.all())
    # A failed login has no actor: it is the town's when the name tried is a town's login.
    tried = records.annotate(tried=KT("details__username")).filter(
        actor__isnull=True, tried__in=logins.values("username")
    )
    return records.filter(Q(actor__in=logins) | Q(pk__in=tried.values("pk")))


def keeps_villager_logins(user):
    """Whether the user's role keeps villager logins at all (the pages answer 403 if not)."""
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and user.may_keep_logins
    )


def households_scorable_by(user):
    """Households this user may add or deduct points for: those living in their communities
    (a town admin: in their town's communities, of whichever town's cooperative)."""
    households = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return households.none()
    if user.is_town_admin:
        return in_towns_of(user, households, "community__town")
    if user.is_community_staff:
        return households.filter(community__staff_memberships__user=user).distinct()
    return households.none()


def households_payable_by(user):
    """Households whose register and dividend this user may keep and pay (a town admin:
    those of their town's cooperatives, wherever they live)."""
    households = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return households.none()
    if user.is_town_admin:
        return in_towns_of(user, households, "cooperative__village__town")
    if user.is_accountant:
        return households.filter(cooperative_id=user.cooperative_id)
    return households.none()


def cooperatives_visible_to(user):
    cooperatives = Cooperative.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return cooperatives.none()
    if user.is_admin:
        # A town's cooperatives, and those whose households live in its communities.
        return in_towns_of(
            user, cooperatives, "village__town", "households__community__town"
        ).distinct()
    if user.is_accountant or user.is_supervisor:
        return cooperatives.filter(pk=user.cooperative_id)
    if user.is_villager:
        return cooperatives.filter(households__pk=user.household_id)
    if user.is_community_staff:
        # Staff know which cooperatives their residents belong to, nothing more.
        return cooperatives.filter(households__in=households_visible_to(user)).distinct()
    return cooperatives.none()


def cooperatives_managed_by(user):
    """Cooperatives whose register this user may change (imports, share movements)."""
    cooperatives = Cooperative.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return cooperatives.none()
    if user.is_town_admin:
        return in_towns_of(user, cooperatives)
    if user.is_accountant:
        return cooperatives.filter(pk=user.cooperative_id)
    return cooperatives.none()


def cooperatives_signed_by(user):
    """Cooperatives whose dividend runs and lines this user may read and approve (sign).

    The accountants who prepare the runs, the cooperative's supervisor (理事长/监事长) who
    signs them, the town admin (their town's); the city admin reads them all. Who may not approve a given run (its creator,
    under the cooperative's four-eyes rule) is `dividends.services`' business.
    """
    cooperatives = Cooperative.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return cooperatives.none()
    if user.is_admin:
        return in_towns_of(user, cooperatives)
    if user.is_accountant or user.is_supervisor:
        return cooperatives.filter(pk=user.cooperative_id)
    return cooperatives.none()


def communities_visible_to(user):
    communities = Community.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return communities.none()
    if user.is_admin:
        return in_towns_of(user, communities)
    if user.is_community_staff:
        return communities.filter(staff_memberships__user=user)
    if user.is_villager:
        return communities.filter(households__pk=user.household_id)
    if user.is_accountant or user.is_supervisor:
        return communities.filter(households__cooperative_id=user.cooperative_id).distinct()
    return communities.none()


def communities_linked_to(user):
    """The communities of the user's linkage (the matrix's columns and cells): those they
    see and those where households they see live. For a town admin that adds another
    town's community where their town's cooperative's households live (linkage across
    towns, docs/towns.md); nothing there is theirs to score or close."""
    return Community.objects.filter(
        Q(pk__in=communities_visible_to(user).values("pk"))
        | Q(pk__in=households_visible_to(user).values("community_id"))
    )


def micro_grids_managed_by(user):
    """Micro-grids whose matters (议事, docs/matters.md) this user takes down, assesses,
    assigns and follows: the grids they lead (微网格长), every grid of their communities
    (staff), every grid of their town (the town admin). Villagers raise matters only for their own grid
    (`matters.services`), the other roles have none."""
    grids = MicroGrid.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return grids.none()
    if user.is_town_admin:
        return in_towns_of(user, grids)
    if user.is_community_staff:
        return grids.filter(Q(leader=user) | Q(community__staff_memberships__user=user)).distinct()
    return grids.none()


def sees_staff_names(user):
    """Whether the user may see which staff member entered or reviewed a score event.

    Staff, accountants and the admin may; a villager sees the events of their own
    household but not who entered them (docs/villagers.md).
    """
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and not user.is_villager
    )


def households_seen_by_bank(user):
    """Households a bank officer (or a bank's API token) may read: those whose head's consent
    to this bank is in force today (docs/bank.md). Nobody else reads through the bank's
    window; a bank officer reads through nothing else (`households_visible_to` is empty)."""
    from banking.models import Consent

    households = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return households.none()
    if not user.is_bank or user.bank_id is None:
        return households.none()
    return households.filter(
        pk__in=Consent.objects.in_force().filter(bank_id=user.bank_id).values("household_id")
    )


def households_consent_enterable_by(user):
    """Households whose consent (to a bank) this user may record or withdraw: the villager
    their own (as the household head's login), community staff their residents at the
    desk, the town admin their town's (of its cooperatives or living in its communities)."""
    households = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return households.none()
    if user.is_town_admin:
        return in_towns_of(user, households)
    if user.is_community_staff:
        return households.filter(community__staff_memberships__user=user).distinct()
    if user.is_villager:
        return households.filter(pk=user.household_id)
    return households.none()


# --- The admin site (管理后台) ---------------------------------------------------------
# The city admin (a superuser) has the whole site. A town admin (staff, not a superuser)
# reads and keeps their town's rows: for each model the admin site shows, the paths from a
# row to its town (a row is theirs if any path leads to their town); a model listed with
# None holds no town's records (the bank's grades); a model not listed is the city's alone
# (logins, the audit trail, API tokens). accounts.admin_scope asks this for every list,
# search, autocomplete, choice of a related row, action and export.
_HOUSEHOLD_PATHS = TOWN_PATHS["villages.Household"]


def _through(prefix, paths=_HOUSEHOLD_PATHS):
    return tuple(f"{prefix}__{path}" for path in paths)


ADMIN_TOWN_PATHS = {
    **TOWN_PATHS,
    "villages.ShareClass": ("cooperative__village__town",),
    "villages.Member": _through("household"),
    "villages.ShareMovement": _through("household"),
    "communities.ScoringItem": ("standard__town",),
    "communities.StandardAdoption": ("standard__town", "cooperative__village__town"),
    "communities.StaffMembership": ("community__town",),
    "communities.ScoreEvent": _through("household"),
    "communities.EventReview": _through("event__household"),
    "communities.MonthStatusChange": ("community__town",),
    "communities.HouseholdVisit": _through("household"),
    "dividends.DividendRun": ("cooperative__village__town",),
    "dividends.DividendLine": ("run__cooperative__village__town",),
    "awards.AwardRun": ("cooperative__village__town",),
    "awards.AwardLine": ("run__cooperative__village__town",),
    "matters.Matter": ("micro_grid__community__town",),
    "matters.MatterStep": ("matter__micro_grid__community__town",),
    "appeals.Appeal": _through("household"),
    "banking.Consent": _through("household"),
    "banking.BankLookup": _through("household"),
    # Logins: only as the choices of a related field (a micro-grid's leader); the admin's
    # login pages are the city admin's (accounts.admin.UserAdmin).
    "accounts.User": (
        "town",
        "communities__town",
        "cooperative__village__town",
        *_through("household"),
    ),
    "banking.Bank": None,
    "banking.CreditGrade": None,
}


def admin_site_models_of_towns():
    """The models (app_label.Model) a town admin may open in the admin site at all."""
    return set(ADMIN_TOWN_PATHS)


def admin_rows(user, queryset):
    """The rows of `queryset` the admin site shows `user`: all for the city admin; for a
    town admin their town's (ADMIN_TOWN_PATHS), none of a model that is the city's; for
    anyone else the rows as the model's admin already scopes them (staff given a Django
    permission on one model, as before towns)."""
    if not _active(user):
        return queryset.none()
    if user.is_city_admin or not user.is_town_admin:
        return queryset
    label = queryset.model._meta.label
    if label not in ADMIN_TOWN_PATHS:
        return queryset.none()
    paths = ADMIN_TOWN_PATHS[label]
    if paths is None:
        return queryset
    rows = in_towns_of(user, queryset, *paths)
    # Paths through a many-valued relation (a cooperative's households) repeat rows.
    return rows.distinct() if any(_many(queryset.model, path) for path in paths) else rows


def _many(model, path):
    for name in path.split("__"):
        if name == "pk":
            return False
        field = model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return True
        model = field.related_model
    return False
