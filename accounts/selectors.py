from django.db.models import Count

from communities.models import Community, MicroGrid

from .models import AuditRecord
from .scope import communities_visible_to, cooperatives_visible_to, households_visible_to


def home_summary(*, user):
    """What the role's home page shows: the user's scope, counted."""
    households = households_visible_to(user)
    summary = {
        "household_count": households.count(),
        "cooperatives": cooperatives_visible_to(user).annotate(
            household_total=Count("households", distinct=True)
        ),
        "communities": communities_visible_to(user),
    }
    if user.is_villager:
        summary["household"] = households.select_related(
            "cooperative", "community", "micro_grid"
        ).first()
    if user.is_community_staff:
        summary["micro_grids"] = (
            MicroGrid.objects.filter(community__in=communities_visible_to(user))
            .select_related("community")
            .annotate(household_total=Count("households"))
        )
    if user.is_subdistrict_admin:
        summary["community_stats"] = Community.objects.annotate(
            household_total=Count("households", distinct=True),
            cooperative_total=Count("households__cooperative", distinct=True),
        )
    return summary


def audit_records(*, action="", actor="", object_type=""):
    records = AuditRecord.objects.select_related("actor")
    if action:
        records = records.filter(action=action)
    if actor:
        records = records.filter(actor_username__icontains=actor)
    if object_type:
        records = records.filter(object_type=object_type)
    return records


def audit_actions():
    return list(AuditRecord.objects.order_by().values_list("action", flat=True).distinct())


def login_help(*, username):
    """Who can lift a lockout of the account typed on the login page, with a phone.

    A villager login (the card number) is unlocked by the staff of the household's
    community: its name and `Community.phone`. Any other name gets None (the page then
    says to ask the community or the cooperative), so nothing about other accounts shows.
    """
    from .backends import canonical_username
    from .models import User

    login = (
        User.objects.filter(
            username=canonical_username(username), role=User.Role.VILLAGER, is_active=True
        )
        .select_related("household__community")
        .first()
    )
    if login is None or login.household is None:
        return None
    community = login.household.community
    return {"community": community.name, "phone": community.phone}
