"""Who sees and answers which appeal (docs/villagers.md, "申诉").

- A villager sees the appeals of their own household.
- An appeal on a score event is answered by the staff of the community that entered the
  event (`ScoreEvent.community`); an appeal on a dividend line by the accountants of the
  run's cooperative. A town admin may answer any of their town's (accounts.scope).

`open_appeals_for(user)` is the selector for a home page's to-do list: the open appeals
the user must answer, oldest first (each has `age_days()`).
"""

from django.db.models import Q

from accounts.scope import in_towns_of

from .models import Appeal


def _with_targets(appeals):
    return appeals.select_related(
        "household",
        "household__cooperative",
        "household__community",
        "event",
        "event__item",
        "event__community",
        "line",
        "line__run",
        "reversal",
    )


def appeals_answerable_by(user):
    """The appeals `user` must answer (every state)."""
    appeals = Appeal.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return appeals.none()
    if user.is_town_admin:
        # Their town's: on points its communities entered, on its cooperatives' runs.
        return in_towns_of(
            user, appeals, "event__community__town", "line__run__cooperative__village__town"
        )
    if user.is_community_staff:
        return appeals.filter(event__community__staff_memberships__user=user).distinct()
    if user.is_accountant:
        return appeals.filter(line__run__cooperative_id=user.cooperative_id)
    return appeals.none()


def appeals_visible_to(user):
    """The appeals `user` may open: their household's (villager) or those they answer."""
    if getattr(user, "is_authenticated", False) and user.is_active and user.is_villager:
        return _with_targets(Appeal.objects.filter(household_id=user.household_id))
    return _with_targets(appeals_answerable_by(user))


def open_appeals_for(user):
    """The open appeals `user` must answer, oldest first (for the home page's to-do list)."""
    return _with_targets(
        appeals_answerable_by(user).filter(state=Appeal.State.OPEN).order_by("filed_at", "id")
    )


def recently_answered_by(user, limit=20):
    return list(
        _with_targets(appeals_answerable_by(user).exclude(state=Appeal.State.OPEN)).order_by(
            "-answered_at", "-id"
        )[:limit]
    )


def appeals_by_event(*, event_ids):
    """{event_id: [appeal, …] newest first} for the card's events, in one query."""
    result = {}
    for appeal in Appeal.objects.filter(event_id__in=list(event_ids)).order_by("-filed_at", "-id"):
        result.setdefault(appeal.event_id, []).append(appeal)
    return result


def appeals_by_line(*, line_ids):
    result = {}
    for appeal in Appeal.objects.filter(line_id__in=list(line_ids)).order_by("-filed_at", "-id"):
        result.setdefault(appeal.line_id, []).append(appeal)
    return result


def open_line_appeals_of_run(run):
    """The open appeals on the lines of `run` (for the run page's flag)."""
    return _with_targets(
        Appeal.objects.filter(line__run=run, state=Appeal.State.OPEN).order_by("filed_at")
    )


def event_appealable(event):
    """Whether a villager may appeal this event: a counted deduction (not a reversal, not
    reversed, not waiting for review or rejected)."""
    return event.points < 0 and event.is_reversible


def has_open_appeal(*, event=None, line=None):
    query = Q(event=event) if event is not None else Q(line=line)
    return Appeal.objects.filter(query, state=Appeal.State.OPEN).exists()
