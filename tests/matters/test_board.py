"""The 议站 board (its counts, its QR link without login, no names) and the 连心标兵
figures (matters closed on time, visits, the grids' rise in scores), as the wrong user too."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.services import Entry, household_visit_record, score_events_record
from matters import board, services
from matters.models import Matter
from matters.selectors import board_figures, leader_figures, leader_grids_visible_to
from tests.communities import conftest as points_fixtures

from .conftest import due

standard = points_fixtures.standard
items = points_fixtures.items


def walk(actor, matter, *, late=False):
    """Accept, assign, handle and report back `matter` (after its due date if `late`)."""
    services.matter_assess(actor=actor, matter=matter, decision="accepted", reason="")
    services.matter_assign(
        actor=actor, matter=matter, community=None, office="水利站", due_on=due(), note=""
    )
    services.matter_progress(actor=actor, matter=matter, note="在办", photo=None)
    if late:  # the due date passed before the result came
        Matter.objects.filter(pk=matter.pk).update(due_on=timezone.localdate() - timedelta(days=1))
        matter.refresh_from_db()
    services.matter_report_back(actor=actor, matter=matter, result="已办好", photo=None)


@pytest.fixture
def matters(world, leader):
    """On the east grid: one reported on time and solved, one late, one in hand, one
    declined, one merged; on the west grid one waiting."""
    made = []
    for text in ("坟浜河岸塌了", "路灯不亮", "水沟堵了", "广场舞太吵", "河岸又塌了"):
        made.append(services.matter_record(actor=world.villager_a, text=text, place="坟浜"))
    on_time, late, in_hand, declined, merged = made
    walk(leader, on_time)
    on_time.refresh_from_db()
    services.matter_villager_verdict(actor=world.villager_a, matter=on_time, solved=True, note="")
    walk(leader, late, late=True)
    services.matter_assess(actor=leader, matter=in_hand, decision="accepted", reason="")
    services.matter_assess(actor=leader, matter=declined, decision="declined", reason="不属议站")
    services.matter_assess(
        actor=leader, matter=merged, decision="merged", reason="", merge_into=on_time
    )
    services.matter_record(actor=world.villager_b, text="西边的事")
    return made


def test_the_board_counts_each_step(world, matters):
    figures = board_figures(
        grids=world.grid_east.community.micro_grids.all(), year=timezone.localdate().year
    )
    east = figures["grids"][world.grid_east.pk]
    assert (east.raised, east.in_hand, east.done, east.declined, east.merged) == (5, 1, 2, 1, 1)
    assert (east.on_time, east.on_time_share, east.solved, east.answered) == (1, 50, 1, 1)
    assert world.grid_west.pk not in figures["grids"]
    assert figures["communities"][world.east.pk].raised == 5


def test_the_board_page_prints_with_a_qr_that_opens_it_without_login(
    world, leader, matters, client
):
    client.force_login(leader)
    page = client.get(reverse("matters:board"), {"grid": world.grid_east.pk})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'class="notice-qr-svg"' in body and 'data-figure="raised">5<' in body
    link = page.context["public_url"]
    client.logout()
    public = client.get(link)
    assert public.status_code == 200 and public["X-Robots-Tag"] == "noindex"
    text = public.content.decode()
    assert 'data-figure="raised">5<' in text and 'data-figure="on_time_share">50.0%<' in text
    for name in ("王建国", "陈志强", "leader_east", "坟浜河岸塌了"):  # no names, no matters
        assert name not in text
    assert "notice-qr-svg" not in text  # the phone copy has no QR of its own

    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert client.get(reverse("matters:board_public", args=[token + "x"])).status_code == 404
    later = board.today() + timedelta(days=board.LINK_DAYS + 1)
    assert board.scope_from_token(token, on=later) is None
    assert board.scope_from_token(token) == ("grid", world.grid_east.pk)


def test_the_community_board_lists_every_grid(world, matters, client):
    client.force_login(world.staff_east)
    body = client.get(reverse("matters:board"), {"community": world.east.pk}).content.decode()
    assert 'id="board-grids"' in body and "东一网格" in body
    index = client.get(reverse("matters:board")).content.decode()
    assert "东湖社区" in index and "西湖社区" not in index


def test_another_scopes_board_is_404_and_other_roles_403(world, leader, matters, client):
    client.force_login(leader)  # leads the east grid only, no community membership
    assert client.get(reverse("matters:board"), {"grid": world.grid_west.pk}).status_code == 404
    assert client.get(reverse("matters:board"), {"community": world.east.pk}).status_code == 404
    client.force_login(world.staff_west)
    assert client.get(reverse("matters:board"), {"grid": world.grid_east.pk}).status_code == 404
    assert client.get(reverse("matters:board"), {"community": world.east.pk}).status_code == 404
    for name in ("matters:board", "matters:leaders"):
        for user in (world.villager_a, world.accountant_a, world.supervisor_a, world.bank_officer):
            client.force_login(user)
            assert client.get(reverse(name)).status_code == 403, (name, user)
    client.logout()
    assert client.get(reverse("matters:leaders")).status_code == 302


def test_leader_figures_count_on_time_visits_and_the_rise(world, leader, matters, standard, items):
    today, since = date(points_fixtures.YEAR, 6, 15), date(points_fixtures.YEAR, 5, 1)
    # Last month the east grid's households were at 80 (the base); this month one got +5.
    score_events_record(
        actor=world.admin,
        entries=[Entry(household_id=world.a_east.pk, item_id=items["clean"].pk, occurred_on=today)],
        today=today,
    )
    household_visit_record(
        actor=world.staff_east, household=world.b_east, visited_on=since, today=today
    )
    [figures] = leader_figures(grids=leader_grids_visible_to(world.admin), since=since, today=today)
    assert figures.leader == leader and figures.grids == [world.grid_east]
    assert (figures.households, figures.reported, figures.on_time) == (2, 2, 1)
    # b_east visited last month; this month a_east has an entry.
    assert figures.visits == 2
    assert figures.score_then == 80 and figures.score_now == 82.5 and figures.rise == 2.5
    assert leader_grids_visible_to(world.staff_west).count() == 0
    assert list(leader_grids_visible_to(world.staff_east)) == [world.grid_east]


def test_the_leader_page_says_it_is_no_ranking_and_sorts(world, leader, matters, client):
    client.force_login(world.staff_east)
    page = client.get(reverse("matters:leaders"), {"sort": "on_time"})
    body = page.content.decode()
    assert page.status_code == 200 and 'id="leaders-not-ranking"' in body
    assert "不是排名" in body and "leader_east" in body
    client.force_login(world.staff_west)
    assert "leader_east" not in client.get(reverse("matters:leaders")).content.decode()
    assert client.get(reverse("matters:leaders"), {"since": "1999-01"}).status_code == 200


def test_a_leader_without_membership_finds_their_grids_board_on_the_index(world, leader, client):
    client.force_login(leader)
    index = client.get(reverse("matters:board")).content.decode()
    assert f"?grid={world.grid_east.pk}&amp;" in index and "东湖社区" in index
    assert f"?community={world.east.pk}" not in index and "西一网格" not in index
