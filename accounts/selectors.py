from django.db.models import CharField, Q
from django.db.models.functions import Cast

from .models import AuditRecord


def audit_records(
    *, action="", actor="", object_type="", household=None, date_from=None, date_to=None
):
    """The audit trail filtered: action code, actor (login or name containing the text),
    object type, one household's trail (`household_trail_q`) and a date range (local days,
    both inclusive)."""
    records = AuditRecord.objects.select_related("actor")
    if action:
        records = records.filter(action=action)
    if actor:
        records = records.filter(
            Q(actor_username__icontains=actor)
            | Q(actor__first_name__icontains=actor)
            | Q(actor__last_name__icontains=actor)
        )
    if object_type:
        records = records.filter(object_type=object_type)
    if household is not None:
        records = records.filter(household_trail_q(household))
    if date_from:
        records = records.filter(at__date__gte=date_from)
    if date_to:
        records = records.filter(at__date__lte=date_to)
    return records


# What a change to a household's villager login writes (accounts.services.villager_login_changed).
VILLAGER_LOGIN_ACTIONS = (
    "villager.login_created",
    "villager.password_issued",
    "villager.password_reset",
    "auth.lockout_lifted",
)


def household_trail_q(household):
    """The records about one household: its own (share movements, imports naming it),
    its score events (reversals, reviews), the batches that scored it and every change of
    its villager login (created, password issued or reset, lockout lifted)."""
    from communities.models import ScoreEvent

    events = ScoreEvent.objects.filter(household=household)
    batches = [str(batch) for batch in events.exclude(batch=None).values_list("batch", flat=True)]
    return (
        Q(object_type="villages.Household", object_id=str(household.pk))
        | Q(
            object_type="communities.ScoreEvent",
            object_id__in=events.annotate(id_text=Cast("pk", CharField())).values("id_text"),
        )
        | Q(action__in=VILLAGER_LOGIN_ACTIONS, details__household_id=household.pk)
        | Q(action="score_event.create", details__batch__in=batches)
    )


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
