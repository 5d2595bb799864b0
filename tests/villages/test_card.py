"""The shareholder point card (股东积分卡) and its printable cards, from the outside.

For every URL a user who should see and one who should not; the villager's page sends
nothing of other households (only the micro-grid's average); the printed QR code is the
login URL with the card number and nothing else.
"""

import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from communities import services
from communities.models import ScoreEvent
from communities.services import Entry
from dividends.models import DividendLine, DividendRun
from overview import card_views
from tests import factories
from tests.communities import conftest as scoring_fixtures
from tests.test_i18n import english_words

YEAR = scoring_fixtures.YEAR
TODAY = date(YEAR, 11, 25)
# The published standard and items of the communities tests, for the `world` households.
standard = scoring_fixtures.standard
items = scoring_fixtures.items
MINE = "/card/"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(card_views, "today", lambda: TODAY)


def card_url(household, **params):
    url = reverse("card:household", args=[household.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def print_url(**params):
    return reverse("card:print") + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def record(actor, household, item, points=None, day=date(YEAR, 3, 10), note=""):
    (event,) = services.score_events_record(
        actor=actor,
        entries=[
            Entry(
                household_id=household.pk,
                item_id=item.pk,
                occurred_on=day,
                points=points,
                note=note,
            )
        ],
        today=date(YEAR, 12, 31),
    )
    return event


def chart_data(response):
    match = re.search(
        r'<script id="card-chart-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1)) if match else None


# --- Who sees which card ------------------------------------------------------------------


def test_villager_sees_own_card(world, items, login):
    record(world.staff_east, world.a_east, items["clean"], "5", note="庭院干净")

    response = login(world.villager_a).get(MINE)

    assert response.status_code == 200
    body = response.content.decode()
    assert "王建国" in body
    assert "COOPA-A001" in body
    assert '<span class="pc-score-number" id="card-score">85</span>' in body
    assert "庭院整洁" in body and "庭院干净" in body and "东湖社区" in body
    assert response.context["household"] == world.a_east


def test_villager_sees_own_card_by_id_too(world, standard, login):
    assert login(world.villager_a).get(card_url(world.a_east)).status_code == 200


@pytest.mark.parametrize("other", ["a_west", "b_east", "b_west"])
def test_villager_gets_404_for_any_other_household(world, standard, login, other):
    client = login(world.villager_a)

    assert client.get(card_url(getattr(world, other))).status_code == 404
    assert client.get(card_url(getattr(world, other), year=2025)).status_code == 404


def test_unknown_household_is_404(world, login):
    assert login(world.admin).get("/card/999999/").status_code == 404


def test_anonymous_is_sent_to_login(world, client):
    for url in (MINE, card_url(world.a_east), print_url(grid=world.grid_east.pk)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_villager_who_must_change_password_is_sent_there_first(world, login):
    world.villager_a.must_change_password = True
    world.villager_a.save()

    response = login(world.villager_a).get(MINE)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")


@pytest.mark.parametrize("user_name", ["admin", "staff_east", "accountant_a"])
def test_non_villagers_have_no_card_of_their_own(world, login, user_name):
    response = login(getattr(world, user_name)).get(MINE)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize("user_name", ["admin", "staff_east", "accountant_a"])
def test_staff_in_scope_see_the_card(world, standard, login, user_name):
    response = login(getattr(world, user_name)).get(card_url(world.a_east))

    assert response.status_code == 200
    assert f"{reverse('card:print')}?household={world.a_east.pk}" in response.content.decode()


@pytest.mark.parametrize("user_name", ["staff_west", "accountant_b", "villager_b"])
def test_card_outside_scope_is_404(world, standard, login, user_name):
    assert login(getattr(world, user_name)).get(card_url(world.a_east)).status_code == 404


def test_villager_page_has_no_print_link(world, standard, login):
    assert reverse("card:print") not in login(world.villager_a).get(MINE).content.decode()


def test_page_has_no_english_labels(world, items, login):
    record(world.staff_east, world.a_east, items["clean"], "5")

    response = login(world.villager_a).get(MINE)

    assert english_words(response, "villager") == set()


# --- What the card shows ---------------------------------------------------------------------


def test_reversal_pending_and_rejected_events_are_labelled_and_pending_not_counted(
    world, items, login
):
    original = record(world.staff_east, world.a_east, items["clean"], "5", note="庭院干净")
    services.score_event_reverse(actor=world.staff_east, event=original, reason="录错户了")
    record(world.staff_east, world.a_east, items["volunteer"], "2", day=date(YEAR, 4, 2))
    ScoreEvent.objects.create(
        household=world.a_east,
        item=items["volunteer"],
        points=Decimal("3"),
        occurred_on=date(YEAR, 5, 6),
        community=world.east,
        entered_by=world.staff_east,
        note="等待复核的记录",
        needs_review=True,
    )

    response = login(world.villager_a).get(MINE)

    body = response.content.decode()
    states = {row.event.note: row.state for row in response.context["rows"]}
    assert states == {
        "庭院干净": "reversed",
        "录错户了": "reversal",
        "": "counted",
        "等待复核的记录": "pending",
    }
    assert "已冲正" in body and ">冲正<" in body and "冲正原因：录错户了" in body
    assert "待复核" in body and "复核确认后才计入" in body
    # 80 + 5 − 5 + 2; the pending +3 does not count.
    assert '<span class="pc-score-number" id="card-score">82</span>' in body
    assert "本年加减 +2 分" in body
    assert response.context["pending_count"] == 1


def test_veto_is_shown(world, items, login):
    factories.confirmed_veto(
        actor=world.staff_east,
        confirmer=world.admin,
        household=world.a_east,
        item=items["crime"],
        occurred_on=date(YEAR, 3, 10),
        today=date(YEAR, 12, 31),
    )

    body = login(world.villager_a).get(MINE).content.decode()

    assert "本年有一票否决项" in body


def test_standard_in_plain_words(world, items, login):
    body = login(world.villager_a).get(MINE).content.decode()

    assert "撤建制村统一标准" in body
    assert "每次加 1–10 分，一般 5 分，每月最多加 10 分，每年最多加 60 分" in body
    assert "每次扣 1–10 分，一般 5 分" in body
    assert "每次扣 20 分" in body  # the veto item: fixed points
    assert "一票否决：有这一项，当年不发积分激励。" in body
    assert "须拍照留证" in body
    assert "每户每年从基础分 80 分算起" in body


def test_year_without_standard_says_so_and_has_no_chart(world, standard, items, login):
    # 2024 holds an event (so the card offers it) but the cooperative adopted no standard.
    ScoreEvent.objects.create(
        household=world.a_east,
        item=items["clean"],
        points=Decimal("5"),
        occurred_on=date(2024, 5, 1),
        community=world.east,
        entered_by=world.staff_east,
    )
    response = login(world.villager_a).get(MINE + "?year=2024")

    assert response.context["year"] == 2024
    assert "2024 年还没有发布积分标准" in response.content.decode()
    assert chart_data(response) is None


@pytest.mark.parametrize("value", ["abc", "1999", "2099", ""])
def test_bad_year_falls_back_to_this_year(world, standard, login, value):
    response = login(world.villager_a).get(MINE + f"?year={value}")

    assert response.status_code == 200
    assert response.context["year"] == YEAR


def test_chart_data_is_the_households_running_score(world, items, login):
    record(world.staff_east, world.a_east, items["clean"], "5", day=date(YEAR, 3, 10))
    record(world.staff_east, world.a_east, items["litter"], "2", day=date(YEAR, 7, 1))

    response = login(world.villager_a).get(MINE)

    data = chart_data(response)
    assert data["labels"][0] == "1月" and len(data["labels"]) == 11  # through November
    assert data["household"] == [80, 80, 85, 85, 85, 85, 83, 83, 83, 83, 83]
    assert data["base"] == 80
    assert 'id="card-chart"' in response.content.decode()


# --- Privacy: the grid average and nothing else of other households --------------------------

NEIGHBOURS = [
    # name, number, points: each ends the year on a score no one else has.
    ("欧阳邻居甲", "N901", "17.5"),  # 97.5
    ("司马邻居乙", "N902", "-13.5"),  # 66.5
    ("诸葛邻居丙", "N903", "3.5"),  # 83.5
]


@pytest.fixture
def neighbours(world, items):
    households = []
    for name, number, points in NEIGHBOURS:
        household = factories.household(
            cooperative_=world.coop_b,
            community_=world.east,
            micro_grid_=world.grid_east,
            number=number,
            head_name=name,
            head_id_number="330482197001019999",
            phone="13912345678",
        )
        ScoreEvent.objects.create(
            household=household,
            item=items["clean"] if Decimal(points) > 0 else items["litter"],
            points=Decimal(points),
            occurred_on=date(YEAR, 6, 15),
            community=world.east,
            entered_by=world.staff_east,
            note=f"{name}的记录",
        )
        households.append(household)
    return households


def test_card_shows_grid_average_but_nothing_of_other_households(world, items, neighbours, login):
    record(world.staff_east, world.a_east, items["clean"], "5", day=date(YEAR, 3, 10))

    response = login(world.villager_a).get(MINE)

    body = unescape(response.content.decode())
    data = chart_data(response)
    # Own 85, b_east 80, neighbours 97.5, 66.5, 83.5 → average 82.5 from June on.
    assert data["average"][-1] == 82.5
    assert data["average"][0] == 80
    assert data["average"][2] == 81  # March: 85 + 80 × 4
    assert "本网格平均：<strong>82.5</strong> 分" in body
    others = [world.b_east, world.a_west, world.b_west, *neighbours]
    for household in others:
        assert household.head_name not in body
        assert household.card_number not in body
        assert f">{household.number}<" not in body
    for name, number, _points in NEIGHBOURS:
        assert name not in body and number not in body
    for score in ("97.5", "66.5", "83.5", "17.5", "13.5", "3.5"):
        assert score not in body, score
    assert "13912345678" not in body and "330482197001019999" not in body
    # The chart's JSON holds the household's own series, the average and labels: no more.
    assert set(data) == {"labels", "household", "average", "base", "text"}
    flat = json.dumps(data, ensure_ascii=False)
    for name, number, _points in NEIGHBOURS:
        assert name not in flat and number not in flat
    for value in (97.5, 66.5, 83.5):
        assert value not in data["household"] + data["average"]


def test_no_average_when_the_grid_is_too_small_to_hide_a_neighbour(world, items, login):
    """With two households, the average and one's own score would give the other's away."""
    record(world.staff_east, world.b_east, items["clean"], "7", day=date(YEAR, 3, 10))

    response = login(world.villager_a).get(MINE)

    data = chart_data(response)
    assert data["average"] is None
    body = response.content.decode()
    assert "本网格平均" not in body
    assert ">87<" not in body and "87 分" not in body  # b_east's score
    assert 87 not in data["household"]


def test_staff_see_no_personal_id_on_the_card(world, standard, login):
    body = login(world.staff_east).get(card_url(world.a_east)).content.decode()

    assert "330482196501181234" not in body
    assert "6228480011112222333" not in body
    assert "13800001111" not in body


# --- Past dividends ----------------------------------------------------------------------------


def make_run(world, cooperative, year, status, version=1):
    return DividendRun.objects.create(
        cooperative=cooperative,
        year=year,
        version=version,
        record_date=date(year, 12, 31),
        total=Decimal("561600.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        base_pool=Decimal("468000.00"),
        incentive_pool=Decimal("93600.00"),
        policy=DividendRun.Policy.SCORE,
        status=status,
        created_by=world.accountant_a,
        approved_by=world.accountant_a if status == DividendRun.Status.APPROVED else None,
        approved_at=timezone.now() if status == DividendRun.Status.APPROVED else None,
    )


def make_line(run, household, base, incentive, score="92.0", head_name=None):
    return DividendLine.objects.create(
        run=run,
        household=household,
        household_number=household.number,
        head_name=head_name or household.head_name,
        community_name=household.community.name,
        shares={"RK": "3"},
        weighted_shares=Decimal("3"),
        score=Decimal(score),
        base_amount=Decimal(base),
        incentive_amount=Decimal(incentive),
        total_amount=Decimal(base) + Decimal(incentive),
    )


def test_dividends_empty_state(world, standard, login):
    response = login(world.villager_a).get(MINE)

    assert 'id="pc-dividends-empty"' in response.content.decode()
    assert response.context["dividends"] == []


def test_approved_run_shows_base_and_incentive_and_others_do_not(world, standard, login):
    approved = make_run(world, world.coop_a, 2019, DividendRun.Status.APPROVED)
    make_line(approved, world.a_east, "2011.46", "402.29")
    make_line(approved, world.a_west, "1340.97", "388.88")  # another household of the run
    computed = make_run(world, world.coop_a, 2019, DividendRun.Status.COMPUTED, version=2)
    make_line(computed, world.a_east, "7777.77", "666.66")
    draft_2020 = make_run(world, world.coop_a, 2020, DividendRun.Status.DRAFT)
    make_line(draft_2020, world.a_east, "5555.55", "444.44")

    response = login(world.villager_a).get(MINE)

    body = response.content.decode()
    assert [entry["line"].run for entry in response.context["dividends"]] == [approved]
    assert "2019年" in body
    assert "2,011.46 元" in body and "402.29 元" in body and "2,413.75 元" in body
    for hidden in ("7777.77", "666.66", "5555.55", "444.44", "1340.97", "388.88", "李秀英"):
        assert hidden not in body
    assert 'id="pc-dividends-empty"' not in body
    try:
        statement = reverse("dividends:statement", args=[approved.pk, world.a_east.pk])
    except NoReverseMatch:
        assert "暂不可查看" in body
    else:
        assert f'href="{statement}"' in body


def test_dividend_figures_come_from_the_snapshot(world, standard, login):
    """An approved run is shown as paid, even after the register changed."""
    run = make_run(world, world.coop_a, 2019, DividendRun.Status.APPROVED)
    make_line(run, world.a_east, "100.00", "20.00", score="88.5")

    response = login(world.villager_a).get(MINE)

    assert "88.5" in response.content.decode()


# --- Query count ----------------------------------------------------------------------------


def add_events(world, items, count):
    """`count` events of the year, two adds for every deduct, spread over Jan–Nov."""
    start = date(YEAR, 1, 1)
    events = []
    for index in range(count):
        add = index % 3 != 0
        events.append(
            ScoreEvent(
                household=world.a_east,
                item=items["clean"] if add else items["litter"],
                points=Decimal("1") if add else Decimal("-1"),
                occurred_on=start + timedelta(days=index % 320),
                community=world.east,
                entered_by=world.staff_east,
                note=f"第{index}条",
            )
        )
    ScoreEvent.objects.bulk_create(events)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response


def test_query_count_is_the_same_for_10_and_2000_events(world, items, login):
    client = login(world.villager_a)
    add_events(world, items, 10)
    few, _response = count_queries(client, MINE)

    add_events(world, items, 1990)
    many, response = count_queries(client, MINE)

    assert many == few
    assert few <= CARD_QUERIES  # the bound below, whatever the number of events
    # The totals count every event, not only the page shown.
    assert response.context["event_count"] == 2000
    expected = sum(event.points for event in ScoreEvent.objects.filter(household=world.a_east))
    assert response.context["total"] == expected
    assert len(response.context["rows"]) == card_views.EVENTS_PER_PAGE
    last = response.context["events_page"].paginator.num_pages
    assert client.get(MINE + f"?page={last}").status_code == 200


# Session, user, household, standard, totals, veto, pending veto, pending count, own months,
# grid average (3), event count and page, dividend lines, standard items; the years offered
# (3: events, dividend lines, this year's standard); the appeals of the page's events and
# lines (2); the bank section (3): open consents, the bank's last look, the banks; the
# household's matters (议事, 1); the award lines (1); the open rectifications (整改, 1).
CARD_QUERIES = 26


@pytest.mark.parametrize("count", [10, 2000])
def test_query_count_is_bounded(world, items, login, django_assert_max_num_queries, count):
    client = login(world.villager_a)
    add_events(world, items, count)

    with django_assert_max_num_queries(CARD_QUERIES):
        response = client.get(MINE)

    assert response.context["event_count"] == count


# --- Printable cards ------------------------------------------------------------------------


def login_url(household):
    return f"http://testserver/accounts/login/?card={household.card_number}"


def test_staff_print_their_grid(world, login):
    response = login(world.staff_east).get(print_url(grid=world.grid_east.pk))

    assert response.status_code == 200
    body = response.content.decode()
    cards = response.context["cards"]
    assert [card["household"] for card in cards] == [world.a_east, world.b_east]
    for household in (world.a_east, world.b_east):
        assert household.head_name in body
        assert household.card_number in body
        assert household.number in body
    assert "甲村股份经济合作社" in body and "东湖社区" in body and "东一网格" in body
    assert body.count("扫码登录查看积分卡") == 2
    # No secret, no personal ID on the card.
    assert "330482196501181234" not in body and "3304821965" not in body
    assert all(set(parse_qs(urlsplit(card["login_url"]).query)) == {"card"} for card in cards)
    assert world.a_west.head_name not in body


def test_staff_of_another_community_cannot_print_the_grid(world, login):
    assert login(world.staff_west).get(print_url(grid=world.grid_east.pk)).status_code == 404


def test_accountant_prints_only_own_cooperatives_households(world, login):
    response = login(world.accountant_a).get(print_url(grid=world.grid_east.pk))

    assert [card["household"] for card in response.context["cards"]] == [world.a_east]


@pytest.mark.parametrize("user_name", ["villager_a", "villager_b"])
def test_villagers_cannot_print(world, login, user_name):
    # A villager never meets a page they may not use: the print page sends them to their card.
    client = login(getattr(world, user_name))

    for url in (
        print_url(grid=world.grid_east.pk),
        print_url(household=world.a_east.pk),
        reverse("card:print"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == reverse("card:mine")


def test_print_one_household(world, login):
    client = login(world.staff_east)

    response = client.get(print_url(household=world.a_east.pk))

    assert [card["household"] for card in response.context["cards"]] == [world.a_east]
    assert client.get(print_url(household=world.a_west.pk)).status_code == 404
    assert client.get(print_url(household="x")).status_code == 404
    assert client.get(print_url(grid="x")).status_code == 404


def test_print_picker_lists_grids_in_scope(world, login):
    body = login(world.staff_east).get(reverse("card:print")).content.decode()

    assert f"?grid={world.grid_east.pk}" in body
    assert f"?grid={world.grid_west.pk}" not in body


def test_a_whole_grid_costs_the_same_queries_as_a_small_one(world, login):
    client = login(world.staff_east)
    few, _response = count_queries(client, print_url(grid=world.grid_east.pk))
    for index in range(10):
        factories.household(
            cooperative_=world.coop_a,
            community_=world.east,
            micro_grid_=world.grid_east,
            number=f"A1{index:02d}",
        )

    many, response = count_queries(client, print_url(grid=world.grid_east.pk))

    assert many == few
    assert len(response.context["cards"]) == 12
    assert len(response.context["sheets"]) == 2  # ten to an A4 sheet


# --- The QR code ------------------------------------------------------------------------------


def svg_matrix(svg):
    """The modules an inline segno SVG draws, read back from its path ("M4 4.5h7m1 0h2…")."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    path = re.search(r'<path stroke="#000" d="([^"]+)"', svg).group(1)
    matrix = [[0] * size for _ in range(size)]
    x = y = 0.0
    for command, numbers in re.findall(r"([MmHh])([-\d. ]+)", path):
        values = [float(value) for value in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            length = values[0] if command == "h" else values[0] - x
            for column in range(int(x), int(x + length)):
                matrix[int(y)][column] = 1
            x += length
    return matrix


def page_svgs(response):
    return re.findall(r'<svg viewBox="[^"]+" class="card-qr">.*?</svg>', response.content.decode())


def test_qr_in_the_page_is_the_login_url_with_the_card_number(world, login):
    response = login(world.staff_east).get(print_url(grid=world.grid_east.pk))

    svgs = page_svgs(response)
    assert len(svgs) == 2
    for svg, household in zip(svgs, (world.a_east, world.b_east), strict=True):
        expected = login_url(household)
        reference = segno.make(expected, error="m", micro=False)
        assert reference.error == "M"
        # The very SVG segno draws for the expected URL …
        assert svg == reference.svg_inline(**card_views.QR_SVG_OPTIONS)
        # … and its modules, read back from the page, are that code's (quiet zone included).
        border = card_views.QR_SVG_OPTIONS["border"]
        modules = [[int(bit) for bit in row] for row in reference.matrix]
        inner = [row[border:-border] for row in svg_matrix(svg)[border:-border]]
        assert inner == modules
    contexts = {card["household"].pk: card["login_url"] for card in response.context["cards"]}
    assert contexts[world.a_east.pk] == login_url(world.a_east)


def test_qr_url_carries_the_card_number_and_nothing_else(world, login):
    response = login(world.staff_east).get(print_url(household=world.a_east.pk))

    (card,) = response.context["cards"]
    parts = urlsplit(card["login_url"])
    assert parts.path == reverse("accounts:login")
    assert parse_qs(parts.query) == {"card": ["COOPA-A001"]}


def test_card_qr_matches_segno(world):
    url = login_url(world.a_east)

    qr = card_views.card_qr(url)

    assert qr.error == "M"
    assert not qr.is_micro
    assert qr.matrix == segno.make(url, error="m").matrix


def test_qr_decodes_to_the_login_url(world, login):
    """Decode the code drawn in the page (its SVG modules, rasterised) with a QR reader."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    response = login(world.staff_east).get(print_url(grid=world.grid_east.pk))

    decoded = []
    for svg in page_svgs(response):
        matrix = svg_matrix(svg)
        scale = 8
        image = Image.new("L", (len(matrix) * scale, len(matrix) * scale), 255)
        pixels = image.load()
        for row, bits in enumerate(matrix):
            for column, bit in enumerate(bits):
                if bit:
                    for dy in range(scale):
                        for dx in range(scale):
                            pixels[column * scale + dx, row * scale + dy] = 0
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        buffer.seek(0)
        (result,) = zxingcpp.read_barcodes(Image.open(buffer))
        decoded.append(result.text)
    assert decoded == [login_url(world.a_east), login_url(world.b_east)]


def test_segno_png_of_the_page_payload_decodes(world, login):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    response = login(world.staff_east).get(print_url(household=world.b_east.pk))
    (card,) = response.context["cards"]
    buffer = io.BytesIO()
    card_views.card_qr(card["login_url"]).save(buffer, kind="png", scale=6)
    buffer.seek(0)

    (result,) = zxingcpp.read_barcodes(Image.open(buffer))

    assert result.text == "http://testserver/accounts/login/?card=COOPB-B001"


def test_print_page_for_a_user_without_role_is_403(world, login):
    nobody = factories.user(username="nobody", role="")

    assert login(nobody).get(print_url(grid=world.grid_east.pk)).status_code == 403
