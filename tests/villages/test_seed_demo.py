"""`manage.py seed_demo`: the Danghu demo subdistrict, built once and only once."""

from collections import Counter
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditRecord, User
from communities.models import Community, MicroGrid, StaffMembership
from tests.conftest import seeded_once
from villages import demo
from villages.models import Cooperative, Household, Member, ShareClass, ShareMovement, Village
from villages.selectors import holdings_by_household

SMALL = demo.SMALL_HOUSEHOLDS_PER_COOPERATIVE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The small demo is seeded once for the class that reads it (issue 21, point 7); each
# test rolls back what it wrote.
small_seeded = seeded_once(
    lambda: demo.seed_demo(households_per_cooperative=SMALL),
    scope="class",
    password_hashers=FAST_HASHERS,
)


@pytest.fixture
def small(small_seeded, db):
    return small_seeded


def model_counts():
    models = (
        Village, Cooperative, ShareClass, Household, Member, ShareMovement,
        Community, MicroGrid, StaffMembership, User, AuditRecord,
    )  # fmt: skip
    return {model._meta.label: model.objects.count() for model in models}


# --------------------------------------------------------------------------- ID numbers


def test_id_check_digit_matches_gb_11643_examples():
    # The standard's own example and a common textbook one.
    assert demo.is_valid_id_number("11010519491231002X")
    assert demo.is_valid_id_number("440524188001010014")
    assert not demo.is_valid_id_number("110105194912310021")
    assert not demo.is_valid_id_number("330482199902301234")  # no 30 February
    value = demo.make_id_number(birth=date(1990, 1, 1), sequence=123)
    assert value.startswith("33048219900101123") and demo.is_valid_id_number(value)


class TestTheSmallDemo:
    """Read (and, rolled back, changed) on one small demo seeded for the class."""

    def test_id_numbers_are_valid_unique_and_from_pinghu(self, small):
        heads = dict(Household.objects.values_list("pk", "head_id_number"))
        members = list(
            Member.objects.values_list("household_id", "id_number", "is_head", "relation")
        )
        numbers = [number for _h, number, _head, _rel in members]
        assert numbers and all(demo.is_valid_id_number(n) for n in numbers)
        assert all(n.startswith(demo.AREA_CODE) for n in numbers)
        assert len(set(numbers)) == len(numbers)
        for household_id, number, is_head, relation in members:
            if is_head:
                assert heads[household_id] == number and relation == "户主"

    def test_small_seed_builds_the_subdistrict(self, small):
        assert Village.objects.count() == 18
        assert Cooperative.objects.count() == 18
        assert Village.objects.filter(dissolved_on__isnull=False).count() == 10
        for village in Village.objects.filter(dissolved_on__isnull=False):
            assert date(2019, 1, 1) <= village.dissolved_on <= date(2021, 12, 31)
        tongjie = Cooperative.objects.get(code="TONGJIE")
        assert tongjie.name == "通界村股份经济合作社"
        assert tongjie.village.name == "通界村" and not tongjie.village.is_dissolved
        for coop in Cooperative.objects.all():
            assert coop.name == f"{coop.village.name}股份经济合作社"
            weights = dict(coop.share_classes.values_list("name", "weight"))
            assert weights == {"人口股": Decimal("1"), "农龄股": Decimal("0.5")}
            assert coop.households.count() == SMALL

    def test_each_urban_community_holds_several_dissolved_villages(self, small):
        urban = Community.objects.filter(kind=Community.Kind.URBAN)
        assert urban.count() == 16
        seen = set()
        for community in urban:
            coops = set(community.households.values_list("cooperative__code", flat=True))
            assert len(coops) >= 2, community
            villages = Village.objects.filter(cooperative__code__in=coops)
            assert all(village.is_dissolved for village in villages)
            seen |= coops
        # Every dissolved village is scattered over several communities.
        assert len(seen) == 10
        for coop in Cooperative.objects.filter(village__dissolved_on__isnull=False):
            assert coop.households.values("community").distinct().count() >= 2

    def test_remaining_villages_score_their_own_households(self, small):
        committees = Community.objects.filter(kind=Community.Kind.VILLAGE_COMMITTEE)
        assert committees.count() == 8
        for committee in committees:
            assert not committee.village.is_dissolved
            coop = committee.village.cooperative
            assert set(coop.households.values_list("community_id", flat=True)) == {committee.pk}
            assert committee.households.exclude(cooperative=coop).count() == 0

    def test_micro_grids_hold_about_ten_households_of_their_community(self, small):
        assert not Household.objects.filter(micro_grid__isnull=True).exists()
        for grid in MicroGrid.objects.all():
            assert grid.leader_name
            households = grid.households.all()
            assert 1 <= households.count() <= demo.GRID_SIZE
            assert all(h.community_id == grid.community_id for h in households)

    def test_households_have_members_and_shares(self, small):
        for household in Household.objects.prefetch_related("members"):
            members = list(household.members.all())
            assert 2 <= len(members) <= 5
            assert sum(m.is_head for m in members) == 1
            assert household.head_name == next(m.name for m in members if m.is_head)
            assert household.phone and household.bank_account and household.bank_name
        issues = ShareMovement.objects.filter(kind=ShareMovement.Kind.ISSUE)
        assert set(issues.values_list("effective_on", "reason").distinct()) == {
            (demo.ISSUE_DATE, demo.ISSUE_REASON)
        }
        assert Household.objects.exclude(share_movements__kind="issue").count() == 0

    def test_a_few_inheritances_and_transfers_go_through_the_service(self, small):
        inherited = ShareMovement.objects.filter(kind=ShareMovement.Kind.INHERITANCE)
        transferred = ShareMovement.objects.filter(kind=ShareMovement.Kind.TRANSFER)
        assert inherited.count() == 2 * 18
        assert transferred.count() == 2 * len(demo.TRANSFER_COOPERATIVES)
        groups = Counter(inherited.values_list("transfer_group", flat=True))
        assert set(groups.values()) == {2}
        assert AuditRecord.objects.filter(action="share.inheritance").count() == 18
        holdings = holdings_by_household(households=Household.objects.all(), on=date(2030, 1, 1))
        assert all(sum(h.values()) > 0 for h in holdings.values())
        assert len(holdings) == Household.objects.count()

    def test_one_login_per_role_with_its_scope(self, small):
        users = {u.username: u for u in User.objects.all()}
        for username, *_rest in demo.LOGINS:
            user = users[username]
            assert user.check_password(demo.DEMO_PASSWORD)
            assert not user.must_change_password
        admin = users["admin"]
        assert admin.role == User.Role.SUBDISTRICT_ADMIN and admin.is_staff
        assert not admin.is_superuser and admin.town.name == "当湖街道" and admin.is_town_admin
        city = users["city"]
        assert city.role == User.Role.CITY_ADMIN and city.is_superuser and city.town is None
        for username, code in (("staff_donghu", "DONGHU"), ("staff_xihu", "XIHU")):
            staff = users[username]
            assert staff.role == User.Role.COMMUNITY_STAFF and not staff.is_superuser
            assert list(staff.communities.values_list("code", flat=True)) == [code]
            assert Community.objects.get(code=code).kind == Community.Kind.URBAN
        assert list(users["staff_tongjie"].communities.values_list("village__code", flat=True)) == [
            "TONGJIE"
        ]
        accountant = users["accountant_tongjie"]
        assert accountant.role == User.Role.ACCOUNTANT and accountant.cooperative.code == "TONGJIE"
        other = users["accountant_nanhetou"]
        assert other.role == User.Role.ACCOUNTANT and other.cooperative.village.is_dissolved
        villager = users["TONGJIE-0001"]
        assert villager.role == User.Role.VILLAGER
        assert villager.household.cooperative.code == "TONGJIE"
        assert villager.cooperative is None and not villager.communities.exists()
        assert {u.role for u in users.values()} == set(User.Role.values)

    def test_second_run_creates_nothing(self, small):
        assert small.created_anything
        assert AuditRecord.objects.filter(action="demo.seeded").count() == 1
        before = model_counts()
        again = demo.seed_demo(households_per_cooperative=SMALL)
        assert not again.created_anything
        assert model_counts() == before
        assert all(not made for _u, _d, made in again.logins)

    def test_rerun_keeps_changed_passwords(self, small):
        admin = User.objects.get(username="admin")
        admin.set_password("my-own-secret")
        admin.save()
        demo.seed_demo(households_per_cooperative=SMALL)
        admin.refresh_from_db()
        assert admin.check_password("my-own-secret")


# --------------------------------------------------------------------------- idempotence


def test_plans_are_deterministic_and_prefix_stable():
    spec = demo.DISSOLVED_VILLAGES[3]
    first = demo.plan_village(spec, SMALL, village_index=3)
    assert first == demo.plan_village(spec, SMALL, village_index=3)
    assert first == demo.plan_village(spec, 3 * SMALL, village_index=3)[:SMALL]
    assert len({plan.community_code for plan in first}) == demo.DESTINATIONS_PER_VILLAGE


def test_command_prints_summary_and_logins():
    out = StringIO()
    call_command("seed_demo", "--small", stdout=out)
    text = out.getvalue()
    assert "合作社 18" in text and "城市社区 16" in text
    for username, *_rest in demo.LOGINS:
        assert username in text
    assert demo.DEMO_PASSWORD in text
    out = StringIO()
    call_command("seed_demo", "--small", stdout=out)
    assert "未新建" in out.getvalue()


def test_command_at_verbosity_0_prints_nothing():
    # `make run` seeds this way: demo_banner prints the logins last instead.
    out = StringIO()
    call_command("seed_demo", "--small", verbosity=0, stdout=out)
    assert out.getvalue() == ""
    assert User.objects.filter(username="TONGJIE-0001").exists()


# --------------------------------------------------------------------------- full size


def test_full_seed_has_698_tongjie_households_with_shares():
    # A small seed first: the full seed completes it instead of starting over.
    demo.seed_demo(households_per_cooperative=SMALL)
    small_names = list(
        Household.objects.filter(cooperative__code="TONGJIE")
        .order_by("number")
        .values_list("head_name", flat=True)
    )
    # `make run` stays quick because the seed writes in bulk: its queries are bounded well
    # below one per household (about 1,700 for some 3,500 households; a busy machine made
    # a wall-clock bound flaky).
    with CaptureQueriesContext(connection) as queries:
        result = demo.seed_demo()
    assert len(queries.captured_queries) < 2500
    assert result.totals["tongjie_households"] == 698
    assert Household.objects.filter(cooperative__code="TONGJIE").count() == 698
    assert 3000 <= Household.objects.count() <= 4000
    names = Household.objects.filter(cooperative__code="TONGJIE").order_by("number")
    assert list(names.values_list("head_name", flat=True)[:SMALL]) == small_names
    households = Household.objects.all()
    holdings = holdings_by_household(households=households, on=date.today())
    assert len(holdings) == households.count()
    assert all(quantity > 0 for h in holdings.values() for quantity in h.values())
    before = model_counts()
    assert not demo.seed_demo().created_anything
    assert model_counts() == before
