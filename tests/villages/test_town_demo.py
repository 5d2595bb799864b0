"""The demo is the newspaper page (issue 22, point 6; communities/town_demo.py): 独山港镇 and
广陈镇 with their villages, 赵家桥村's 6 grids and 23 groups, 优胜村's published list,
山塘村 13组 where 张华珍's household rises from 50 to 80, 龙萌村's riverbank, the town
administrators; a second run creates nothing."""

from collections import Counter
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from communities import town_demo
from communities.demo import LAST_MONTH, YEAR
from communities.models import Community, MicroGrid, RectificationInspection, ScoreEvent
from communities.selectors import household_annual_score, monthly_scores, standard_for
from matters.demo import RIVERBANK
from matters.models import Matter
from tests.conftest import seeded_once
from villages.demo import DEMO_PASSWORD
from villages.models import Cooperative, Household, Member, ShareMovement, Town, Village

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
demo = seeded_once(
    lambda: call_command("seed_demo", "--small", stdout=StringIO()), password_hashers=MD5
)
NEW_VILLAGES = {"ZHAOJIAQIAO", "YOUSHENG", "SHANTANG", "LONGMENG"}


def test_the_towns_of_the_newspaper_page_hold_their_villages(demo, db):
    kinds = dict(Town.objects.values_list("code", "kind"))
    assert kinds == {"DANGHU": "subdistrict", "DUSHANGANG": "town", "GUANGCHEN": "town"}
    by_town = {
        code: set(Village.objects.filter(town__code=code).values_list("name", flat=True))
        for code in ("DUSHANGANG", "GUANGCHEN")
    }
    assert by_town == {
        "DUSHANGANG": {"韩家庙村", "赵家桥村", "优胜村"},
        "GUANGCHEN": {"山塘村", "龙萌村"},
    }
    assert Village.objects.filter(town__code="DANGHU").count() == 18
    for cooperative in Cooperative.objects.filter(code__in=NEW_VILLAGES).select_related(
        "village__town"
    ):
        town = cooperative.village.town
        committee = Community.objects.get(village=cooperative.village)
        assert committee.town == town and committee.kind == Community.Kind.VILLAGE_COMMITTEE
        assert set(cooperative.share_classes.values_list("code", flat=True)) == {"RK", "NL"}
        standard = standard_for(cooperative=cooperative, year=YEAR)
        assert standard.town == town  # the town's unified standard, adopted
        households = cooperative.households.all()
        assert households.exists()
        assert set(households.values_list("community", flat=True)) == {committee.pk}
        assert not households.filter(micro_grid__isnull=True).exists()
        assert not households.exclude(share_movements__kind=ShareMovement.Kind.ISSUE).exists()
        assert Member.objects.filter(household__in=households, is_head=True).count() == len(
            households
        )
        scored = ScoreEvent.objects.filter(household__in=households, occurred_on__year=YEAR)
        assert scored.values("household").distinct().count() > len(households) // 2


def test_zhaojiaqiao_splits_its_households_into_6_grids_and_23_groups(demo, db):
    grids = MicroGrid.objects.filter(community__code="ZHAOJIAQIAO-CWH")
    assert grids.count() == 23
    assert {grid.code.split("-")[0] for grid in grids} == {f"W{n}" for n in range(1, 7)}
    assert grids.get(code="W2-06").name == "第2网格6组"
    sizes = Counter(Household.objects.filter(cooperative__code="ZHAOJIAQIAO").values_list(
        "micro_grid__code", flat=True
    ))  # fmt: skip
    assert sum(sizes.values()) == 60 and set(sizes.values()) == {2, 3} and len(sizes) == 23


def test_shantang_13zu_has_10_households_and_zhang_huazhen_rises_from_50_to_80(demo, db, client):
    grid = MicroGrid.objects.get(community__code="SHANTANG-CWH", code="G13")
    assert grid.name == "13组" and grid.households.count() == 10
    assert grid.leader.username == "staff_shantang"
    zhang = grid.households.get(head_name="张华珍")
    series = monthly_scores(
        households=Household.objects.filter(pk=zhang.pk), year=YEAR, through_month=LAST_MONTH
    )[zhang.pk]
    assert series[0] == Decimal(50) and series[-1] == Decimal(80)
    assert series == sorted(series)  # better every month after January
    assert household_annual_score(household=zhang, year=YEAR) == Decimal(80)
    inspection = RectificationInspection.objects.get(rectification__household=zhang)
    assert inspection.result == "on_time" and inspection.earn_back.points == Decimal(2)
    # The grid leader's 美丽积分图 shows her household.
    client.force_login(grid.leader)
    page = client.get(reverse("communities:points_chart"), {"grid": grid.pk, "year": YEAR})
    assert page.status_code == 200 and "张华珍" in page.content.decode()


def test_yousheng_publishes_and_its_inspection_finds_failing_households(demo, db):
    committee = Community.objects.get(code="YOUSHENG-CWH")
    assert committee.honor_roll_published
    failed = ScoreEvent.objects.filter(
        community=committee, item__code="HJ12", note__startswith="11月入户检查不合格"
    )
    assert failed.count() == len(town_demo.FAILED_NUMBERS)


def test_the_riverbank_is_at_longmengs_third_micro_grid(demo, db):
    grid = Matter.objects.get(text=RIVERBANK).micro_grid
    assert (grid.community.code, grid.code) == ("LONGMENG-CWH", "G03")
    assert grid.leader.username == "staff_longmeng" and grid.leader_name == "张桂明"


def test_one_administrator_per_town(demo, db):
    towns = dict(
        User.objects.filter(role=User.Role.SUBDISTRICT_ADMIN).values_list("username", "town__code")
    )
    assert towns == {
        "admin": "DANGHU",
        "admin_dushangang": "DUSHANGANG",
        "admin_guangchen": "GUANGCHEN",
    }
    for username, *_rest in town_demo.LOGINS:
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD) and not user.must_change_password
    assert set(
        User.objects.get(username="staff_shantang").communities.values_list("code", flat=True)
    ) == {"SHANTANG-CWH"}


def test_a_second_run_creates_nothing(demo, db):
    models = (Town, Village, Cooperative, Community, MicroGrid, Household, Member, ScoreEvent)
    before = {model: model.objects.count() for model in models}
    assert not any(town_demo.seed_town_demo().values())
    call_command("seed_demo", "--small", stdout=StringIO())
    assert {model: model.objects.count() for model in models} == before


def test_readme_and_the_demo_data_doc_list_the_town_logins():
    from django.conf import settings

    for name in ("README.md", "docs/demo-data.md"):
        text = (settings.BASE_DIR / name).read_text(encoding="utf-8")
        for username, *_rest in town_demo.LOGINS:
            assert f"`{username}`" in text, (name, username)


def test_make_runs_banner_lists_the_town_administrators():
    from overview.management.commands.demo_banner import banner_lines

    lines = banner_lines(host="127.0.0.1", port=8000, lan_addresses=[])
    for username in ("admin_dushangang", "admin_guangchen"):
        (line,) = [line for line in lines if line.split()[:1] == [username]]
        assert "管理员" in line
