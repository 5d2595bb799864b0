"""Demo scoring data on a tiny world: a dissolved village scored by an urban community,
and Tongjie scoring its own households (with its 2019 standard)."""

import io
from datetime import date
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditRecord, User
from communities.demo import UNIFIED_NAME, seed_scoring_demo
from communities.models import (
    Community,
    ScoreEvent,
    ScoringItem,
    ScoringStandard,
    StandardAdoption,
)
from tests import factories


@pytest.fixture
def tiny(db):
    dissolved = factories.village(code="NANHETOU", name="南河头村", dissolved_on=date(2019, 6, 28))
    tongjie_village = factories.village(code="TONGJIE", name="通界村")
    nanhetou = factories.cooperative(code="NANHETOU", village_=dissolved)
    tongjie = factories.cooperative(code="TONGJIE", village_=tongjie_village)
    donghu = factories.community(code="DONGHU", name="东湖社区")
    committee = Community.objects.create(
        town=factories.town(),
        code="TONGJIE-CWH",
        name="通界村村民委员会",
        kind=Community.Kind.VILLAGE_COMMITTEE,
        village=tongjie_village,
    )
    return SimpleNamespace(
        nanhetou=nanhetou,
        tongjie=tongjie,
        donghu=donghu,
        committee=committee,
        households=[
            factories.household(cooperative_=nanhetou, community_=donghu, number="0001"),
            factories.household(cooperative_=nanhetou, community_=donghu, number="0002"),
            factories.household(cooperative_=tongjie, community_=committee, number="0001"),
        ],
        admin=factories.user(username="admin", role=User.Role.SUBDISTRICT_ADMIN, is_staff=True),
        staff_tongjie=factories.user(
            username="staff_tongjie", role=User.Role.COMMUNITY_STAFF, communities=[committee]
        ),
    )


def snapshot():
    return (
        ScoringStandard.objects.count(),
        ScoringItem.objects.count(),
        StandardAdoption.objects.count(),
        ScoreEvent.objects.count(),
        AuditRecord.objects.count(),
    )


def test_standards_are_published_and_adopted(tiny):
    seed_scoring_demo()

    unified = ScoringStandard.objects.get(name=UNIFIED_NAME, year=2026)
    themed = ScoringStandard.objects.get(name="通界村善治积分标准", year=2026)
    history = ScoringStandard.objects.get(name="通界村善治积分标准", year=2019)
    assert list(unified.cooperatives.all()) == [tiny.nanhetou]
    assert list(themed.cooperatives.all()) == [tiny.tongjie]
    assert list(history.cooperatives.all()) == [tiny.tongjie]
    assert themed.theme == "美丽庭院"
    for standard in (unified, themed, history):
        assert standard.status == ScoringStandard.Status.PUBLISHED
        items = list(standard.items.all())
        assert {item.category for item in items} >= {
            "environment",
            "civility",
            "participation",
            "law",
        }
        assert {item.direction for item in items} == {"add", "deduct"}
        assert [item.name for item in items if item.is_veto] == ["违法犯罪（一票否决）"]
        assert len([item for item in items if item.evidence_required]) == 1
        assert any(item.cap_per_month for item in items)
        assert any(item.cap_per_year for item in items)
        adoption = standard.adoptions.get()
        assert adoption.meeting_date.year == standard.year
        assert adoption.votes_for > adoption.votes_against
    # Tongjie's theme items on top of the common ones.
    assert themed.items.filter(code="ZT01", name="美丽庭院星级户").exists()
    assert not unified.items.filter(code__startswith="ZT").exists()


def test_events_veto_and_reversals(tiny):
    out = io.StringIO()
    created = seed_scoring_demo(stdout=out)

    events_2026 = ScoreEvent.objects.filter(occurred_on__year=2026)
    assert events_2026.filter(reverses__isnull=True).count() > 20
    assert {e.month for e in events_2026.dates("occurred_on", "month")} <= set(range(1, 12))
    assert not ScoreEvent.objects.filter(occurred_on__gt=timezone.localdate()).exists()
    # Tongjie has a year of 2019 events (for the 2019 dividend), scored by its committee.
    history = ScoreEvent.objects.filter(occurred_on__year=2019)
    assert history.exists()
    assert set(history.values_list("household__cooperative__code", flat=True)) == {"TONGJIE"}
    assert set(history.values_list("entered_by__username", flat=True)) == {"staff_tongjie"}
    # Without a staff login of their own, DONGHU's events are entered by the administrator.
    assert set(
        ScoreEvent.objects.filter(community=tiny.donghu).values_list(
            "entered_by__username", flat=True
        )
    ) == {"admin"}

    veto = ScoreEvent.objects.get(item__is_veto=True)
    assert veto.occurred_on.year == 2026
    assert veto.points < 0 and veto.note

    reversals = list(ScoreEvent.objects.filter(reverses__isnull=False).select_related("reverses"))
    assert 1 <= len(reversals) <= 6
    for reversal in reversals:
        assert reversal.points == -reversal.reverses.points
        assert reversal.note
        assert not reversal.reverses.item.is_veto
    assert created["reversals"] == len(reversals)
    assert created["veto_events"] == 1
    assert created["events"] == ScoreEvent.objects.filter(reverses__isnull=True).count()
    assert created["entries_refused"] == 0
    assert "积分演示数据已生成" in out.getvalue()
    # Every batch went through score_events_record: one audit record each.
    assert (
        AuditRecord.objects.filter(action="score_event.create", details__source="demo").count()
        == created["batches"] + created["veto_events"]
    )


def test_second_run_creates_nothing(tiny):
    seed_scoring_demo()
    before = snapshot()
    out = io.StringIO()
    created = seed_scoring_demo(stdout=out)
    assert not any(created.values())
    assert snapshot() == before
    assert out.getvalue().strip() == "积分演示数据已存在，本次未新建任何记录。"


def test_needs_an_administrator_when_a_community_has_no_staff(tiny):
    tiny.admin.is_active = False
    tiny.admin.save()
    with pytest.raises(RuntimeError, match="administrator"):
        seed_scoring_demo()
    assert ScoreEvent.objects.count() == 0


def test_every_community_has_published_its_red_list_for_the_villagers(tiny):
    """The demo villager's 红榜 tab shows a list (issue 24, point 8), audited as a switch."""
    seed_scoring_demo()
    assert set(Community.objects.values_list("honor_roll_published", flat=True)) == {True}
    assert AuditRecord.objects.filter(action="community.honor_roll_published").count() == (
        Community.objects.count()
    )


# What seeding the scoring stage costs in queries: a fixed part (standards, items, the
# veto, the reversals, the red lists) and a bounded number per batch (one community and
# month), however many events a batch holds (issue 24, point 10: the demo step's time).
QUERIES_PER_BATCH = 17  # 15, and the batch's communities and cooperatives fetched once each
FIXED_QUERIES = 100


def test_seeding_the_scores_takes_a_bounded_number_of_queries_per_batch_not_per_event(tiny):
    for k in range(15):
        number = f"{k + 10:04d}"
        factories.household(cooperative_=tiny.nanhetou, community_=tiny.donghu, number=number)
        factories.household(cooperative_=tiny.tongjie, community_=tiny.committee, number=number)
    with CaptureQueriesContext(connection) as queries:
        created = seed_scoring_demo()
    assert created["entries_refused"] == 0
    # Batches of twenty events and more: one query per event would break the bound.
    assert created["events"] >= 20 * created["batches"]
    assert len(queries) <= QUERIES_PER_BATCH * created["batches"] + FIXED_QUERIES
