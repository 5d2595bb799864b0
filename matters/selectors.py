"""Who sees and acts on which matter (议事, docs/matters.md, "Who may do what").

- Managed (`matters_managed_by`): the matters of the micro-grids the user leads, of every
  grid of their communities (staff), of every grid (the admin) — `accounts.scope.
  micro_grids_managed_by`. They assess, assign, follow (跟踪) and report back.
- Assigned (`matters_assigned_to`): the matters assigned (交办) to a community the user is
  staff of. They record progress (办理) and report back.
- A villager sees the matters their household raised, in full, and the public list of
  their micro-grid's matters (`public_matters_of_grid`): what, where, how far — never who.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from accounts.scope import communities_visible_to, households_scorable_by, micro_grids_managed_by
from communities import selectors as points
from communities.models import MicroGrid
from pinghu_points.months import last_day

from .models import Matter, MatterStep

TENTH = Decimal("0.1")

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
    # The town admin's are their town's grids' (micro_grids_managed_by).
    return Matter.objects.filter(micro_grid__in=micro_grids_managed_by(user))


def matters_assigned_to(user):
    if not _active(user) or not user.is_community_staff:
        return Matter.objects.none()
    return Matter.objects.filter(assignee_community__staff_memberships__user=user)


def matters_handled_by(user):
    """Those who record progress and report back: the grid's managers and the assignee."""
    if not _active(user):
        return Matter.objects.none()
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


def household_matters(*, household, user):
    """The matters `household` raised that `user` may open, newest first (the staff
    household page; an accountant or supervisor sees none, as on the card)."""
    return matters_visible_to(user).filter(household=household).order_by("-recorded_at", "-id")


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


# --- The 议站 board and the 连心标兵 figures (docs/matters.md, "The board") -------------------


@dataclass
class BoardFigures:
    """One micro-grid's or community's matters recorded in a year, as the board counts them."""

    raised: int = 0  # recorded (收集) in the year
    in_hand: int = 0  # not yet reported back: waiting to be assessed, assigned or in hand
    done: int = 0  # reported back (反馈)
    declined: int = 0
    merged: int = 0
    on_time: int = 0  # reported back by the due date
    answered: int = 0  # reported back and the villager said whether it was solved
    solved: int = 0  # … and said it was

    @property
    def on_time_share(self):
        """Reported back on time ÷ reported back, a percent with one decimal; None before
        the first result."""
        if not self.done:
            return None
        return (Decimal(100) * self.on_time / self.done).quantize(TENTH, rounding=ROUND_HALF_UP)


def board_figures(*, grids, year):
    """{"grids": {grid_id: BoardFigures}, "communities": {community_id: BoardFigures},
    "total": BoardFigures} of the matters recorded in `year` in `grids` (already scoped).
    One query; counts only, no names (the public board draws from this)."""
    rows = Matter.objects.filter(micro_grid__in=grids, recorded_at__year=year).values_list(
        "micro_grid_id", "micro_grid__community_id", "state", "due_on", "reported_at", "solved"
    )
    total = BoardFigures()
    by_grid = defaultdict(BoardFigures)
    by_community = defaultdict(BoardFigures)
    for grid_id, community_id, state, due_on, reported_at, solved in rows:
        for figures in (total, by_grid[grid_id], by_community[community_id]):
            figures.raised += 1
            if state in OPEN_STATES:
                figures.in_hand += 1
            elif state == Matter.State.DECLINED:
                figures.declined += 1
            elif state == Matter.State.MERGED:
                figures.merged += 1
            else:
                figures.done += 1
                figures.on_time += bool(
                    due_on and reported_at and timezone.localdate(reported_at) <= due_on
                )
                figures.answered += solved is not None
                figures.solved += solved is True
    return {"grids": dict(by_grid), "communities": dict(by_community), "total": total}


def board_grids_visible_to(user):
    """The micro-grids whose board a logged-in user may open: those they manage."""
    return micro_grids_managed_by(user).select_related("community")


def leader_grids_visible_to(user):
    """The micro-grids with a leader login whose figures the 连心标兵 page shows: the town's
    for the admin, their communities' for staff; nobody else's."""
    if not _active(user):
        return MicroGrid.objects.none()
    grids = MicroGrid.objects.filter(leader__isnull=False)
    if user.is_admin:  # the city's or their town's
        return grids.filter(community__in=communities_visible_to(user))
    if user.is_community_staff:
        return grids.filter(community__in=communities_visible_to(user))
    return MicroGrid.objects.none()


@dataclass
class LeaderFigures:
    """A grid leader's figures since a chosen month (the 连心标兵 page): what they did, not
    a ranking anyone is paid by."""

    leader: object
    grids: list
    households: int = 0
    reported: int = 0  # their grids' matters reported back since the month
    on_time: int = 0  # … by the due date
    overdue: int = 0  # their grids' matters past the due date today
    visits: int = 0  # household-months visited since the month (the door's visited rule)
    score_then: Decimal | None = None  # average counted score at the end of the chosen month
    score_now: Decimal | None = None  # average counted score now (this year, so far)

    @property
    def rise(self):
        if self.score_then is None or self.score_now is None:
            return None
        return self.score_now - self.score_then


def _average(values):
    values = [value for value in values if value is not None]
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(TENTH, rounding=ROUND_HALF_UP)


def leader_figures(*, grids, since, today):
    """[LeaderFigures] for the leaders of `grids` (already scoped), from the month `since`
    (a first of month, before today's month) through today. Scores are the one rule
    (`communities.selectors.monthly_scores` / `annual_scores`): the average of the grids'
    households' running score at the end of `since` against their annual score now.
    Visits are `visited_in_month`, month by month (two queries a month)."""
    from communities.selectors import annual_scores, monthly_scores, visited_in_month
    from villages.models import Household

    grids = list(grids.select_related("leader", "community").order_by("community__code", "code"))
    by_leader = {}
    for grid in grids:
        by_leader.setdefault(grid.leader_id, LeaderFigures(leader=grid.leader, grids=[]))
        by_leader[grid.leader_id].grids.append(grid)
    leader_of_grid = {grid.pk: grid.leader_id for grid in grids}
    households = Household.objects.filter(micro_grid_id__in=leader_of_grid)
    grid_of_household = dict(households.values_list("pk", "micro_grid_id"))
    for grid_id in grid_of_household.values():
        by_leader[leader_of_grid[grid_id]].households += 1

    matters = Matter.objects.filter(micro_grid_id__in=leader_of_grid)
    for grid_id, due_on, reported_at in matters.filter(
        state=Matter.State.REPORTED, reported_at__date__gte=since
    ).values_list("micro_grid_id", "due_on", "reported_at"):
        figures = by_leader[leader_of_grid[grid_id]]
        figures.reported += 1
        figures.on_time += bool(due_on and timezone.localdate(reported_at) <= due_on)
    for grid_id in matters.filter(state__in=TRACKED_STATES, due_on__lt=today).values_list(
        "micro_grid_id", flat=True
    ):
        by_leader[leader_of_grid[grid_id]].overdue += 1

    ids = list(grid_of_household)
    month = since
    while month <= today:
        for household_id in visited_in_month(household_ids=ids, month=month):
            by_leader[leader_of_grid[grid_of_household[household_id]]].visits += 1
        month = last_day(month) + timedelta(days=1)

    then = monthly_scores(households=households, year=since.year, through_month=since.month)
    now = annual_scores(households=households, year=today.year)
    for figures in by_leader.values():
        own = {grid.pk for grid in figures.grids}
        members = [pk for pk, grid_id in grid_of_household.items() if grid_id in own]
        figures.score_then = _average(then[pk][-1] for pk in members if then.get(pk))
        figures.score_now = _average(now.get(pk) for pk in members)
    return list(by_leader.values())


def door_open_work(*, user, grid):
    """What the door app carries offline besides scores (issue 25, point 4): the grid's
    matters `user` may record progress on (assigned or in hand), and the open
    rectifications of the grid's households in `user`'s scoring scope."""
    matters = (
        matters_handled_by(user)
        .filter(micro_grid=grid, state__in=TRACKED_STATES)
        .order_by("due_on", "pk")
    )
    households = households_scorable_by(user).filter(micro_grid=grid)
    return list(matters), list(points.open_rectifications(households=households))
