"""Who sees and acts on which matter (议事, docs/matters.md, "Who may do what").

- Managed (`matters_managed_by`): the matters of the micro-grids the user leads, of every
  grid of their communities (staff), of every grid (the admin) — `accounts.scope.
  micro_grids_managed_by`. They assess, assign, follow (跟踪) and report back.
- Assigned (`matters_assigned_to`): the matters assigned (交办) to a community the user is
  staff of. They record progress (办理) and report back.
- A villager sees the matters their household raised, in full, and the public list of
  their micro-grid's matters (`public_matters_of_grid`): what, where, how far — never who.
"""

from django.db.models import Q
from django.utils import timezone

from accounts.scope import micro_grids_managed_by

from .models import Matter, MatterStep

OPEN_STATES = (
    Matter.State.COLLECTED,
    Matter.State.ACCEPTED,
    Matter.State.ASSIGNED,
    Matter.State.IN_HAND,
)
TRACKED_STATES = (Matter.State.ASSIGNED, Matter.State.IN_HAND)


def _active(user):
    return getattr(user, "is_authenticated", False) and user.is_active


def _related(matters):
    return matters.select_related(
        "micro_grid",
        "micro_grid__community",
        "household",
        "assignee_community",
        "merged_into",
    )


def matters_managed_by(user):
    if not _active(user):
        return Matter.objects.none()
    if user.is_subdistrict_admin:
        return Matter.objects.all()
    return Matter.objects.filter(micro_grid__in=micro_grids_managed_by(user))


def matters_assigned_to(user):
    if not _active(user) or not user.is_community_staff:
        return Matter.objects.none()
    return Matter.objects.filter(assignee_community__staff_memberships__user=user)


def matters_handled_by(user):
    """Those who record progress and report back: the grid's managers and the assignee."""
    if not _active(user):
        return Matter.objects.none()
    if user.is_subdistrict_admin:
        return Matter.objects.all()
    return Matter.objects.filter(
        Q(pk__in=matters_managed_by(user).values("pk"))
        | Q(pk__in=matters_assigned_to(user).values("pk"))
    )


def matters_visible_to(user):
    """The matters `user` may open: their household's (villager) or those they act on."""
    if not _active(user):
        return Matter.objects.none()
    if user.is_villager:
        return _related(Matter.objects.filter(household_id=user.household_id))
    return _related(matters_handled_by(user))


def public_matters_of_grid(*, household):
    """The villagers' list of their micro-grid's matters, newest first, as plain values
    without the household or anyone's name (the 议站's public list)."""
    if household is None or household.micro_grid_id is None:
        return []
    return list(
        Matter.objects.filter(micro_grid_id=household.micro_grid_id)
        .order_by("-recorded_at", "-id")
        .values(
            "pk",
            "text",
            "place",
            "state",
            "recorded_at",
            "due_on",
            "result",
            "decline_reason",
            "merged_into_id",
            "solved",
        )[:100]
    )


def overdue_matters_for(user, today=None):
    """Assigned matters past their due date that `user` manages or handles (to-do lists),
    the longest overdue first."""
    today = today or timezone.localdate()
    return _related(
        matters_handled_by(user).filter(state__in=TRACKED_STATES, due_on__lt=today)
    ).order_by("due_on", "pk")


def steps_of(matter):
    return list(MatterStep.objects.filter(matter=matter).select_related("actor"))


def card_matters(*, household, user):
    """The card's 议事 section: the household's open matters and those reported back,
    as far as `user` may open them (an accountant reading the card sees none). One query."""
    if household is None:
        return None
    shown = list(
        matters_visible_to(user)
        .filter(household=household, state__in=(*OPEN_STATES, Matter.State.REPORTED))
        .order_by("-recorded_at", "-id")[:20]
    )
    return {
        "open": [matter for matter in shown if matter.state in OPEN_STATES],
        "reported": [matter for matter in shown if matter.state == Matter.State.REPORTED],
        "may_raise": bool(
            user.is_villager and user.household_id == household.pk and household.micro_grid_id
        ),
    }
