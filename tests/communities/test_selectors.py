"""communities/selectors.py: one meaning of a household's score everywhere."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import User
from communities import selectors, services
from communities.models import MonthStatusChange, ScoringItem
from communities.services import Entry
from tests import factories
from villages.models import Household

from .conftest import YEAR

TODAY = date(YEAR, 12, 31)


def record(actor, household, item, day, points=None):
    (event,) = services.score_events_record(
        actor=actor,
        entries=[Entry(household_id=household.pk, item_id=item.pk, occurred_on=day, points=points)],
        today=TODAY,
    )
    return event


def veto(world, items, day):
    return factories.confirmed_veto(
        actor=world.staff_east,
        confirmer=world.admin,
        household=world.a_east,
        item=items["crime"],
        occurred_on=day,
        today=TODAY,
    )


@pytest.fixture
def big(standard):
    """Uncapped items large enough to push a score past its bounds."""

    def make(code, direction):
        return ScoringItem.objects.create(
            standard=standard,
            code=code,
            name=code,
            category=ScoringItem.Category.OTHER,
            direction=direction,
            default_points=Decimal("30"),
            min_points=Decimal("1"),
            max_points=Decimal("50"),
        )

    return {
        "add": make("BIG+", ScoringItem.Direction.ADD),
        "deduct": make("BIG-", ScoringItem.Direction.DEDUCT),
    }


def households(*rows):
    return Household.objects.filter(pk__in=[row.pk for row in rows])


def test_annual_score_is_base_plus_counting_events(world, items):
    staff = world.staff_east
    record(staff, world.a_east, items["clean"], date(YEAR, 2, 1), "5")
    record(staff, world.a_east, items["litter"], date(YEAR, 5, 1), "3")

    assert selectors.household_annual_score(household=world.a_east, year=YEAR) == Decimal("82")
    assert selectors.annual_scores(
        households=households(world.a_east, world.b_east), year=YEAR
    ) == {
        world.a_east.pk: Decimal("82"),
        world.b_east.pk: Decimal("80"),
    }


def test_annual_score_is_clipped_to_the_standards_bounds(world, big):
    staff = world.staff_east
    record(staff, world.a_east, big["add"], date(YEAR, 1, 5), "50")  # 80 + 50 = 130
    for month in (1, 2):
        record(staff, world.b_east, big["deduct"], date(YEAR, month, 5), "50")  # 80 − 100

    scores = selectors.annual_scores(households=households(world.a_east, world.b_east), year=YEAR)

    assert scores == {world.a_east.pk: Decimal("120"), world.b_east.pk: Decimal("0")}
    assert selectors.household_annual_score(household=world.a_east, year=YEAR) == Decimal("120")
    assert selectors.household_annual_score(household=world.b_east, year=YEAR) == Decimal("0")


def test_events_of_another_year_do_not_count(world, items, standard):
    record(world.staff_east, world.a_east, items["clean"], date(YEAR, 1, 5), "5")

    assert selectors.event_totals(household_ids=[world.a_east.pk], year=YEAR - 1) == {}
    assert selectors.household_annual_score(household=world.a_east, year=YEAR - 1) is None


def test_household_without_a_published_standard_has_no_score(world, items):
    coop = factories.cooperative(code="COOPC")
    household = factories.household(cooperative_=coop, community_=world.east)

    assert selectors.household_annual_score(household=household, year=YEAR) is None
    assert selectors.annual_scores(households=households(household), year=YEAR) == {
        household.pk: None
    }
    assert selectors.monthly_scores(households=households(household), year=YEAR) == {}


def test_pending_and_rejected_events_do_not_count(world, items):
    world.east.review_required = True
    world.east.save()
    reviewer = factories.user(role=User.Role.COMMUNITY_STAFF, communities=[world.east])
    pending = record(world.staff_east, world.a_east, items["clean"], date(YEAR, 1, 5), "5")
    rejected = record(world.staff_east, world.a_east, items["volunteer"], date(YEAR, 1, 5), "2")
    confirmed = record(world.staff_east, world.a_east, items["litter"], date(YEAR, 1, 5), "4")
    services.score_event_review(actor=reviewer, event=rejected, decision="rejected", reason="x")
    services.score_event_review(actor=reviewer, event=confirmed, decision="confirmed")

    assert set(selectors.counting_events()) == {confirmed}
    assert pending not in selectors.counting_events()
    assert selectors.household_annual_score(household=world.a_east, year=YEAR) == Decimal("76")


def test_monthly_points_and_running_series(world, items):
    staff = world.staff_east
    record(staff, world.a_east, items["clean"], date(YEAR, 1, 10), "5")
    record(staff, world.a_east, items["litter"], date(YEAR, 3, 2), "5")
    record(staff, world.a_east, items["volunteer"], date(YEAR, 3, 20), "2")

    points = selectors.monthly_points(household_ids=[world.a_east.pk, world.b_east.pk], year=YEAR)
    series = selectors.monthly_scores(
        households=households(world.a_east, world.b_east), year=YEAR, through_month=4
    )

    assert points == {world.a_east.pk: {1: Decimal("5"), 3: Decimal("-3")}}
    assert series == {
        world.a_east.pk: [Decimal("85"), Decimal("85"), Decimal("82"), Decimal("82")],
        world.b_east.pk: [Decimal("80")] * 4,
    }


def test_running_series_clips_each_month_and_ends_at_the_annual_score(world, big):
    staff = world.staff_east
    record(staff, world.a_east, big["add"], date(YEAR, 1, 5), "50")  # 130 → shown 120
    record(staff, world.a_east, big["deduct"], date(YEAR, 2, 5), "20")  # 110

    (series,) = selectors.monthly_scores(households=households(world.a_east), year=YEAR).values()

    assert series[:2] == [Decimal("120"), Decimal("110")]
    assert len(series) == 12
    assert series[-1] == selectors.household_annual_score(household=world.a_east, year=YEAR)


def test_veto_is_detected_and_cleared_by_its_reversal(world, items):
    crime = veto(world, items, date(YEAR, 4, 1))
    record(world.staff_east, world.b_east, items["litter"], date(YEAR, 4, 1))
    ids = [world.a_east.pk, world.b_east.pk]

    assert selectors.vetoed_household_ids(household_ids=ids, year=YEAR) == {world.a_east.pk}
    assert selectors.vetoed_household_ids(household_ids=ids, year=YEAR - 1) == set()

    factories.confirmed_veto_reversal(
        actor=world.staff_east, confirmer=world.admin, event=crime, reason="认定有误"
    )

    assert selectors.vetoed_household_ids(household_ids=ids, year=YEAR) == set()


def test_veto_twice_and_reversed_once_still_vetoes(world, items):
    first = veto(world, items, date(YEAR, 4, 1))
    veto(world, items, date(YEAR, 6, 1))
    factories.confirmed_veto_reversal(
        actor=world.staff_east, confirmer=world.admin, event=first, reason="重复"
    )

    assert selectors.vetoed_household_ids(household_ids=[world.a_east.pk], year=YEAR) == {
        world.a_east.pk
    }


def test_a_veto_awaiting_review_does_not_veto_yet(world, items):
    # A veto always waits for a second staff member, whatever the review setting.
    services.score_events_record(
        actor=world.staff_east,
        entries=[
            Entry(
                household_id=world.a_east.pk,
                item_id=items["crime"].pk,
                occurred_on=date(YEAR, 4, 1),
                note="违法",
                evidence=factories.photo(),
            )
        ],
        today=TODAY,
    )

    assert selectors.vetoed_household_ids(household_ids=[world.a_east.pk], year=YEAR) == set()


def test_low_streaks_counts_consecutive_low_months_ending_now():
    series = {
        1: [Decimal(v) for v in (90, 70, 60, 50)],  # low for the last 3
        2: [Decimal(v) for v in (50, 50, 90, 70)],  # low for the last 1 only
        3: [Decimal(v) for v in (50, 50, 50, 50)],  # low all along
        4: [Decimal(v) for v in (60, 80, 80, 80)],  # threshold itself is not low
    }

    assert selectors.low_streaks(series=series, threshold=Decimal("80"), months=2) == {1: 3, 3: 4}
    assert selectors.low_streaks(series=series, threshold=Decimal("80"), months=1) == {
        1: 3,
        2: 1,
        3: 4,
    }
    assert selectors.low_streaks(series={}, threshold=Decimal("80"), months=1) == {}


def test_latest_month_change_is_the_months_state(world):
    march, april = date(YEAR, 3, 1), date(YEAR, 4, 1)
    services.month_close(actor=world.staff_east, community=world.east, month=march, today=TODAY)
    services.month_reopen(actor=world.admin, community=world.east, month=march, reason="补录")
    services.month_close(actor=world.staff_east, community=world.east, month=april, today=TODAY)
    services.month_close(actor=world.staff_west, community=world.west, month=march, today=TODAY)

    closed = selectors.closed_months(
        community_ids=[world.east.pk, world.west.pk], months=[march, april]
    )
    states = selectors.month_states(community_ids=[world.east.pk], months=[march, april])

    assert closed == {(world.east.pk, april), (world.west.pk, march)}
    assert states[(world.east.pk, march)].action == MonthStatusChange.Action.REOPEN
    assert states[(world.east.pk, march)].actor == world.admin
    assert selectors.month_is_closed(community=world.east, month=april)
    assert not selectors.month_is_closed(community=world.east, month=march)


def test_standards_by_cooperative_ignores_drafts(world, standard):
    assert selectors.standards_by_cooperative(
        cooperative_ids=[world.coop_a.pk, world.coop_b.pk], year=YEAR
    ) == {world.coop_a.pk: standard, world.coop_b.pk: standard}

    standard.status = standard.Status.DRAFT
    standard.save()

    assert selectors.standards_by_cooperative(cooperative_ids=[world.coop_a.pk], year=YEAR) == {}
    assert selectors.standard_for(cooperative=world.coop_a, year=YEAR) is None


def test_household_events_show_original_and_reversal_newest_first(world, items):
    first = record(world.staff_east, world.a_east, items["clean"], date(YEAR, 2, 1), "5")
    second = record(world.staff_east, world.a_east, items["litter"], date(YEAR, 3, 1), "2")
    reversal = services.score_event_reverse(actor=world.staff_east, event=first, reason="录错")

    events = list(selectors.household_events(household=world.a_east, year=YEAR))

    assert events == [second, reversal, first]
    assert events[1].reverses == first
    assert events[2].reversal == reversal


def test_review_queue_holds_other_staffs_pending_events_of_the_users_communities(world, items):
    world.east.review_required = True
    world.east.save()
    world.west.review_required = True
    world.west.save()
    colleague = factories.user(role=User.Role.COMMUNITY_STAFF, communities=[world.east])
    east = record(world.staff_east, world.a_east, items["clean"], date(YEAR, 2, 1))
    own = record(colleague, world.b_east, items["clean"], date(YEAR, 2, 1))
    west = record(world.staff_west, world.a_west, items["clean"], date(YEAR, 2, 1))

    assert list(selectors.review_queue(user=colleague)) == [east]
    assert list(selectors.review_queue(user=world.staff_east)) == [own]
    assert set(selectors.review_queue(user=world.admin)) == {east, own, west}
    assert not selectors.review_queue(user=world.villager_a).exists()
