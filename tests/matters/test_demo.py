"""The demo's matters and rectifications (matters/demo.py, communities/demo.py): a few in
each step, one declined, one merged; rectified on time, late, not, and never re-inspected."""

from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from communities.models import Rectification, RectificationInspection
from matters.demo import RIVERBANK
from matters.models import Matter
from matters.selectors import board_figures, overdue_matters_for
from tests.conftest import seeded_once

demo = seeded_once(lambda: call_command("seed_demo", "--small", stdout=StringIO()))
State = Matter.State


def test_the_demo_has_matters_in_every_step(demo, db):
    states = {state: Matter.objects.filter(state=state).count() for state in State.values}
    for state in State.values:
        assert states[state] >= 1, state
    river = Matter.objects.get(text=RIVERBANK)
    assert river.on_time and river.merged_matters.count() == 1
    assert [step.step for step in river.steps.all()] == [
        "collect", "assess", "assign", "track", "handle", "track", "feedback",
    ]  # fmt: skip
    assert Matter.objects.filter(state=State.DECLINED).exclude(decline_reason="").exists()
    assert Matter.objects.filter(state=State.REPORTED, solved=True).exists()
    reported = Matter.objects.filter(state=State.REPORTED)
    assert {matter.on_time for matter in reported} == {True, False}
    leader = river.micro_grid.leader
    assert (
        leader.username == "staff_longmeng"
    )  # 龙萌村's third micro-grid (communities/town_demo.py)
    assert (river.micro_grid.community.code, river.micro_grid.code) == ("LONGMENG-CWH", "G03")
    assert overdue_matters_for(leader).exists()
    figures = board_figures(grids=type(river.micro_grid).objects.all(), year=river.recorded_at.year)
    assert figures["total"].raised == Matter.objects.count()

    count = Matter.objects.count()
    call_command("seed_demo", "--small", stdout=StringIO())
    assert Matter.objects.count() == count


def test_the_demo_has_rectifications_on_time_late_and_never(demo, db):
    results = set(RectificationInspection.objects.values_list("result", flat=True))
    assert results == {"on_time", "late", "not_rectified"}
    assert Rectification.objects.filter(inspection__isnull=True).count() == 1
    # Tongjie's (山塘村's 张华珍 has one on time too: tests/villages/test_town_demo.py).
    on_time = RectificationInspection.objects.get(
        result="on_time", rectification__household__cooperative__code="TONGJIE"
    )
    assert on_time.earn_back is not None and on_time.earn_back.points > 0


def test_the_demo_board_and_leaders_pages_answer(demo, client, db):
    from accounts.models import User

    client.force_login(User.objects.get(username="admin"))
    assert client.get(reverse("matters:leaders")).status_code == 200
    river = Matter.objects.get(text=RIVERBANK)
    # The riverbank is 龙萌村's, in 广陈镇: its board is that town administrator's.
    client.force_login(User.objects.get(username="admin_guangchen"))
    page = client.get(reverse("matters:board"), {"grid": river.micro_grid_id})
    assert page.status_code == 200 and "notice-qr-svg" in page.content.decode()
