"""Who may see what: the one place that answers it (DESIGN.md, "Scope").

Every page, export, admin list and API endpoint builds its querysets from
these functions; none filters by role on its own.
"""

from django.db.models import Q

from communities.models import Community, MicroGrid
from villages.models import Cooperative, Household


def households_visible_to(user):
    """Households whose register and points this user may read."""
    households = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return households.none()
    if user.is_subdistrict_admin:
        return households
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
    the accountant of its cooperative, the subdistrict admin. Not the supervisor
    (理事长/监事长), who reads the register but must not be able to take over a villager's
    login (and with it the villager's consent to the bank); not the bank, nor villagers."""
    households = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return households.none()
    if user.is_subdistrict_admin:
        return households
    if user.is_community_staff:
        return households.filter(community__staff_memberships__user=user).distinct()
    if user.is_accountant:
        return households.filter(cooperative_id=user.cooperative_id)
    return households.none()


def keeps_villager_logins(user):
    """Whether the user's role keeps villager logins at all (the pages answer 403 if not)."""
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and user.may_keep_logins
    )


def households_scorable_by(user):
    """Households this user may add or deduct points for: those living in their communities."""
    households = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return households.none()
    if user.is_subdistrict_admin:
        return households
    if user.is_community_staff:
        return households.filter(community__staff_memberships__user=user).distinct()
    return households.none()


def households_payable_by(user):
    """Households whose register and dividend this user may keep and pay."""
    households = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return households.none()
    if user.is_subdistrict_admin:
        return households
    if user.is_accountant:
        return households.filter(cooperative_id=user.cooperative_id)
    return households.none()


def cooperatives_visible_to(user):
    cooperatives = Cooperative.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return cooperatives.none()
    if user.is_subdistrict_admin:
        return cooperatives
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
    if user.is_subdistrict_admin:
        return cooperatives
    if user.is_accountant:
        return cooperatives.filter(pk=user.cooperative_id)
    return cooperatives.none()


def cooperatives_signed_by(user):
    """Cooperatives whose dividend runs and lines this user may read and approve (sign).

    The accountants who prepare the runs, the cooperative's supervisor (理事长/监事长) who
    signs them, and subdistrict admins. Who may not approve a given run (its creator,
    under the cooperative's four-eyes rule) is `dividends.services`' business.
    """
    cooperatives = Cooperative.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return cooperatives.none()
    if user.is_subdistrict_admin:
        return cooperatives
    if user.is_accountant or user.is_supervisor:
        return cooperatives.filter(pk=user.cooperative_id)
    return cooperatives.none()


def communities_visible_to(user):
    communities = Community.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return communities.none()
    if user.is_subdistrict_admin:
        return communities
    if user.is_community_staff:
        return communities.filter(staff_memberships__user=user)
    if user.is_villager:
        return communities.filter(households__pk=user.household_id)
    if user.is_accountant or user.is_supervisor:
        return communities.filter(households__cooperative_id=user.cooperative_id).distinct()
    return communities.none()


def micro_grids_managed_by(user):
    """Micro-grids whose matters (议事, docs/matters.md) this user takes down, assesses,
    assigns and follows: the grids they lead (微网格长), every grid of their communities
    (staff), every grid (the admin). Villagers raise matters only for their own grid
    (`matters.services`), the other roles have none."""
    grids = MicroGrid.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return grids.none()
    if user.is_subdistrict_admin:
        return grids
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
    desk, the subdistrict admin any."""
    households = Household.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return households.none()
    if user.is_subdistrict_admin:
        return households
    if user.is_community_staff:
        return households.filter(community__staff_memberships__user=user).distinct()
    if user.is_villager:
        return households.filter(pk=user.household_id)
    return households.none()
