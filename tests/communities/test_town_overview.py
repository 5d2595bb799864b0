"""The city overview (城市总览, issue 22 point 4): the towns side by side, each figure by
the rule of the page it comes from, against a hand count on two towns; a town's own
overview (`?town=`) on the matrix, statistics, 红黑榜 and cooperative pages; scope; the
query bound whatever the number of towns."""

import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from communities import services
from communities.models import ScoringItem, ScoringStandard, StandardAdoption
from communities.selectors import annual_scores
from dividends.models import DividendPayment, DividendRun
from overview import selectors as overview_selectors
from overview import views as overview_views
from tests import factories
from villages.models import Household, Town

from .conftest import YEAR
from .test_overview import (
    TODAY,
    _line,
    _run,
    record,
    scored,  # noqa: F401 (the hand-counted year, a fixture)
)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr(overview_views, "today", lambda: TODAY)


def _town_standard(town, cooperative):
    standard = ScoringStandard.objects.create(
        town=town,
        name="独山港镇统一标准",
        year=YEAR,
        base_points=Decimal("70"),
        lower_bound=Decimal("0"),
        upper_bound=Decimal("100"),
        status=ScoringStandard.Status.PUBLISHED,
    )
    StandardAdoption.objects.create(
        standard=standard,
        cooperative=cooperative,
        meeting_date=date(YEAR, 1, 20),
        votes_for=30,
        votes_against=0,
    )
    return ScoringItem.objects.create(
        standard=standard,
        code="DS01",
        name="环境卫生",
        category=ScoringItem.Category.ENVIRONMENT,
        direction=ScoringItem.Direction.ADD,
        default_points=Decimal("5"),
        min_points=Decimal("1"),
        max_points=Decimal("10"),
    )


@pytest.fixture
def city(scored):  # noqa: F811
    """The `scored` world as 当湖街道 (甲, 乙 × 东湖, 西湖: 82 / 80 / 80 / 75, 3 standing
    events, 东湖 closed May) and 独山港镇 (韩家庙村; its standard: base 70, bounds 0–100):

    - H001 (韩家庙, lives in 韩家庙村委会): +10 in February, +6 in March reversed → 80,
      scored, 1 standing event
    - H002 (韩家庙, 韩家庙村委会): nothing → 70
    - H003 (韩家庙, lives in 东湖 of 当湖街道, scored there by 东湖's staff): +6 → 76, scored
    - 韩家庙村委会 closed May.

    Dividends of the year: 甲 approved and paid (lines' base 100 + 200, incentive 50, kept
    10), 乙 computed (base 30, incentive 5, kept 1), 韩家庙 approved, not paid (base 40,
    incentive 8, kept 2); last year's approved run of 甲 does not count.
    """
    w = scored
    town = Town.objects.create(code="DUSHANGANG", name="独山港镇", kind=Town.Kind.TOWN)
    village = factories.village(code="HJM", name="韩家庙村", town_=town)
    coop = factories.cooperative(code="COOPH", name="韩家庙村股份经济合作社", village_=village)
    hjm = factories.community(code="HJMC", name="韩家庙村委会", town_=town)
    staff_hjm = factories.user(
        username="staff_hjm", role=User.Role.COMMUNITY_STAFF, communities=[hjm]
    )
    item = _town_standard(town, coop)
    h1 = factories.household(cooperative_=coop, community_=hjm, number="H001")
    factories.household(cooperative_=coop, community_=hjm, number="H002")
    h3 = factories.household(cooperative_=coop, community_=w.east, number="H003")
    record(staff_hjm, h1, item, date(YEAR, 2, 5), "10")
    wrong = record(staff_hjm, h1, item, date(YEAR, 3, 5), "6")
    services.score_event_reverse(actor=staff_hjm, event=wrong, reason="录错")
    record(w.staff_east, h3, item, date(YEAR, 4, 5), "6")
    services.month_close(actor=staff_hjm, community=hjm, month=date(YEAR, 5, 1), today=TODAY)

    paid = _run(w.coop_a, YEAR, creator=w.accountant_a, incentive_paid="50.00", remainder="10.00")
    _line(paid, w.a_east, "100.00", "20.00")
    _line(paid, w.a_west, "200.00", "30.00")
    DividendPayment.objects.create(run=paid, paid_on=date(YEAR, 3, 1), recorded_by=w.accountant_a)
    last_year = _run(w.coop_a, YEAR - 1, creator=w.accountant_a)
    _line(last_year, w.a_east, "999.00", "1.00")
    DividendPayment.objects.create(
        run=last_year, paid_on=date(YEAR - 1, 3, 1), recorded_by=w.accountant_a
    )
    computed = _run(
        w.coop_b,
        YEAR,
        status=DividendRun.Status.COMPUTED,
        creator=w.accountant_b,
        incentive_paid="5.00",
        remainder="1.00",
    )
    _line(computed, w.b_east, "30.00", "5.00")
    approved = _run(coop, YEAR, creator=w.admin, incentive_paid="8.00", remainder="2.00")
    _line(approved, h1, "40.00", "8.00")
    return SimpleNamespace(
        w=w,
        danghu=w.coop_a.village.town,
        dsg=town,
        coop=coop,
        hjm=hjm,
        h3=h3,
        staff_hjm=staff_hjm,
        # The towns side by side are the city administrator's; a town admin sees their own.
        reader=factories.user(
            username="city", role=User.Role.CITY_ADMIN, is_staff=True, is_superuser=True
        ),
    )


DANGHU = {
    "households": 4,
    "scored_percent": Decimal("50.0"),
    "average": Decimal("79.3"),  # (82 + 80 + 80 + 75) / 4 = 79.25, half up
    "events": 3,
    "months_not_closed": 9,  # 东湖 January–April, 西湖 January–May
    "runs_computed": 1,
    "runs_approved": 1,
    "runs_paid": 1,
    "base_paid": Decimal("330.00"),
    "incentive_paid": Decimal("55.00"),
    "remainder": Decimal("11.00"),
}
DUSHANGANG = {
    "households": 3,  # H003 counts where its points count, not where it lives
    "scored_percent": Decimal("66.7"),
    "average": Decimal("75.3"),  # (80 + 70 + 76) / 3
    "events": 2,
    "months_not_closed": 4,  # 韩家庙村委会 January–April
    "runs_computed": 0,
    "runs_approved": 1,
    "runs_paid": 0,
    "base_paid": Decimal("40.00"),
    "incentive_paid": Decimal("8.00"),
    "remainder": Decimal("2.00"),
}
CITY = {
    "households": 7,
    "scored_percent": Decimal("57.1"),  # 4 / 7
    "average": Decimal("77.6"),  # 543 / 7
    "events": 5,
    "months_not_closed": 13,
    "runs_computed": 1,
    "runs_approved": 2,
    "runs_paid": 1,
    "base_paid": Decimal("370.00"),
    "incentive_paid": Decimal("63.00"),
    "remainder": Decimal("13.00"),
}


def test_the_towns_match_the_hand_count(city):
    data = overview_selectors.town_overview(user=city.reader, year=YEAR, today=TODAY)
    assert [row.town.name for row in data["rows"]] == ["当湖街道", "独山港镇"]
    danghu, dsg = (overview_views.town_figures(row) for row in data["rows"])
    assert danghu == DANGHU
    assert dsg == DUSHANGANG
    assert overview_views.town_figures(data["total"]) == CITY


def test_the_towns_match_a_recomputation_by_the_domain_rules(city):
    """Each town's households, scores and dividends again, from the domain selectors
    (`annual_scores`) and the cooperative overview of the town alone."""
    from communities.selectors import STANDING, counting_events

    data = overview_selectors.town_overview(user=city.reader, year=YEAR, today=TODAY)
    for row in data["rows"]:
        households = Household.objects.filter(cooperative__village__town=row.town)
        scores = [
            s for s in annual_scores(households=households, year=YEAR).values() if s is not None
        ]
        mean = (sum(scores) / len(scores)).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")
        events = counting_events().filter(
            STANDING, household__in=households, occurred_on__year=YEAR
        )
        assert row.cell.households == households.count()
        assert row.cell.average == mean
        assert row.events == events.count()
        assert row.cell.scored == events.values("household").distinct().count()
        dividends = overview_selectors.cooperative_overview(
            user=city.reader, year=YEAR, town=row.town
        )["totals"]["current"]
        assert (row.base_paid, row.incentive_paid, row.remainder) == (
            dividends["base_paid"],
            dividends["incentive_paid"],
            dividends["remainder"],
        )


def test_the_page_shows_each_town_opening_its_own_overview(city, login):
    body = login(city.reader).get(reverse("overview:towns"), {"year": YEAR}).content.decode()
    assert "当湖街道" in body and "独山港镇" in body
    for town in (city.danghu, city.dsg):
        assert f"{reverse('overview:matrix')}?town={town.pk}&amp;year={YEAR}" in body
    assert "370.00" in body  # the city's base paid


def test_the_download_has_a_row_per_town_and_the_total(city, login):
    response = login(city.reader).get(reverse("overview:towns"), {"year": YEAR, "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["独山港镇"][1] == "镇"
    assert by_name["独山港镇"][2:] == [3, 66.7, 75.3, 2, 4, 0, 1, 0, 40, 8, 2]
    assert by_name["全市合计"][2] == 7 and by_name["全市合计"][-1] == 13


# --- A town's own overview (?town=) ---------------------------------------------------------


def test_a_towns_matrix_shows_its_households_and_those_living_in_its_communities(city):
    admin = city.reader
    danghu = overview_selectors.linkage_matrix(user=admin, year=YEAR, today=TODAY, town=city.danghu)
    dsg = overview_selectors.linkage_matrix(user=admin, year=YEAR, today=TODAY, town=city.dsg)
    # H003 (韩家庙's, living in 东湖) is in both towns' matrices: the cross-town cell.
    cross = (city.coop.village_id, city.w.east.pk)
    assert danghu.total.households == 5 and cross in danghu.cells
    assert dsg.total.households == 3 and cross in dsg.cells
    assert [c.code for c in dsg.communities] == ["EAST", "HJMC"]
    assert [c.code for c in danghu.communities] == ["EAST", "WEST"]
    assert dsg.cells[cross].households == 1 and dsg.cells[cross].average == Decimal("76.0")


def test_a_towns_pages_answer_with_the_town_only(city, login):
    client = login(city.reader)
    query = {"year": YEAR, "town": city.dsg.pk}
    stats = client.get(reverse("overview:statistics"), query).context["stats"]
    assert stats["households"] == 3
    assert [row["community"].code for row in stats["by_community"]] == ["EAST", "HJMC"]
    coops = client.get(reverse("overview:cooperatives"), query).context["table"]
    assert [row["cooperative"].code for row in coops] == ["COOPH"]
    honor = client.get(reverse("overview:honor_roll"), query).context
    assert [c.code for c in honor["communities"]] == ["HJMC"]
    matrix = client.get(reverse("overview:matrix"), query)
    assert "只看 独山港镇" in matrix.content.decode()
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("overview:matrix"), {**query, "format": "xlsx"}).content)
    ).active
    villages = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert villages == {"韩家庙村"}


def test_a_town_outside_the_scope_is_not_there(city, login):
    """西湖's staff see no household of 独山港镇: its town is a 404 (东湖's staff see
    H003, so its town is theirs, narrowed to what they see)."""
    west = login(city.w.staff_west)
    for name in ("overview:matrix", "overview:statistics", "overview:honor_roll"):
        assert west.get(reverse(name), {"town": city.dsg.pk}).status_code == 404
        assert west.get(reverse(name), {"town": "x"}).status_code == 404
    east = login(city.w.staff_east).get(reverse("overview:matrix"), {"town": city.dsg.pk})
    assert east.status_code == 200
    assert east.context["matrix"].total.households == 1  # H003 only


@pytest.mark.parametrize(
    "name", ["staff_east", "accountant_a", "supervisor_a", "villager_a", "bank_officer"]
)
def test_only_administrators_read_the_towns(city, login, name):
    client = login(getattr(city.w, name))
    assert client.get(reverse("overview:towns")).status_code == 403
    assert client.get(reverse("overview:towns"), {"format": "xlsx"}).status_code == 403


def test_anonymous_is_sent_to_the_login(client, city):
    response = client.get(reverse("overview:towns"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_may_read_towns_is_the_administrators():
    assert User(role=User.Role.SUBDISTRICT_ADMIN).may_read_towns
    assert User(role=User.Role.CITY_ADMIN).may_read_towns
    assert User(is_superuser=True).may_read_towns
    for role in set(User.Role) - {User.Role.SUBDISTRICT_ADMIN, User.Role.CITY_ADMIN}:
        assert not User(role=role).may_read_towns


def _more_towns(count):
    for n in range(count):
        town = Town.objects.create(code=f"T{n:02d}", name=f"测试镇{n}")
        coop = factories.cooperative(village_=factories.village(town_=town))
        community = factories.community(town_=town)
        factories.household(cooperative_=coop, community_=community)
        _run(coop, YEAR, creator=User.objects.get(username="admin"))


@pytest.mark.parametrize("extra", [0, 5])
def test_the_city_overview_runs_a_bounded_number_of_queries(
    city, login, django_assert_max_num_queries, extra
):
    _more_towns(extra)
    client = login(city.reader)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("overview:towns"), {"year": YEAR})
    assert len(response.context["rows"]) == 2 + extra
    with django_assert_max_num_queries(12):
        assert client.get(reverse("overview:towns"), {"format": "xlsx"}).status_code == 200


def test_a_towns_pages_keep_their_query_bounds(city, login, django_assert_max_num_queries):
    """The bounds of test_overview's pages, plus the one look-up of the town."""
    client = login(city.reader)
    for name, bound in (
        ("overview:matrix", 13),
        ("overview:statistics", 17),
        ("overview:honor_roll", 14),
        ("overview:cooperatives", 11),
    ):
        with django_assert_max_num_queries(bound):
            response = client.get(reverse(name), {"year": YEAR, "town": city.dsg.pk})
        assert response.status_code == 200


def test_the_city_overview_in_english(city, client):
    from django.conf import settings
    from django.utils import translation

    client.force_login(city.reader)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    try:
        body = client.get(reverse("overview:towns"), {"year": YEAR}).content.decode()
    finally:
        translation.activate("zh-hans")
    for text in (
        "City overview",
        "Months not closed",
        "Open the overview of 独山港镇",
        "City total",
    ):
        assert text in body
    for text in ("城市总览", "未关账月数", "全市合计"):
        assert text not in body
