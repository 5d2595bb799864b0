"""Two towns (issue 22, points 2 and 3): the city and the town administrators, the scope
by town, linkage across towns from all four sides, and the admin site as a town admin."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import scope
from accounts.models import User
from accounts.services import user_set_role
from communities.models import ScoreEvent
from communities.selectors import annual_scores
from communities.services import Entry, score_events_record
from tests import factories
from tests.communities import conftest as points_fixtures
from villages.models import Town

standard = points_fixtures.standard
items = points_fixtures.items

pytestmark = pytest.mark.django_db


@pytest.fixture
def towns(world, standard, items):
    """当湖街道 (the world: town A) and 独山港镇 (town B, with a community, its staff and
    admin). 甲村 (coop_a) is a dissolved village of A; household A009 of its cooperative
    lives in B's community: the linkage across towns of issue 22, point 3."""
    village = world.coop_a.village
    village.dissolved_on = date(2018, 6, 30)
    village.save()
    a = factories.town()
    b = factories.town(code="DUSHAN", name="独山港镇", kind=Town.Kind.TOWN)
    community_b = factories.community(code="HJMCWH", name="韩家庙村村民委员会", town_=b)
    grid_b = factories.micro_grid(community_=community_b, code="HJM01")
    across = factories.household(
        cooperative_=world.coop_a,
        community_=community_b,
        micro_grid_=grid_b,
        number="A009",
        head_name="冯秋菊",
        shares={"RK": "2"},
    )
    b_coop = factories.cooperative(
        code="COOPD", name="韩家庙村股份经济合作社", village_=factories.village(town_=b)
    )
    b_own = factories.household(
        cooperative_=b_coop, community_=community_b, number="D001", head_name="钱桂英"
    )
    world.a, world.b = a, b
    world.community_b, world.grid_b = community_b, grid_b
    world.across, world.b_own, world.b_coop = across, b_own, b_coop
    world.admin_b = factories.user(
        username="admin_b", role=User.Role.SUBDISTRICT_ADMIN, town=b, is_staff=True
    )
    world.staff_b = factories.user(
        username="staff_b", role=User.Role.COMMUNITY_STAFF, communities=[community_b]
    )
    world.city = factories.user(
        username="city", role=User.Role.CITY_ADMIN, is_staff=True, is_superuser=True
    )
    return world


def numbers(queryset):
    return sorted(queryset.values_list("number", flat=True))


# --- Roles -------------------------------------------------------------------------------


def test_the_two_admins_and_their_town(towns):
    assert towns.admin.is_town_admin and not towns.admin.is_city_admin
    assert towns.admin.town == towns.a and not towns.admin.is_superuser
    assert towns.city.is_city_admin and not towns.city.is_town_admin
    assert list(scope.towns_visible_to(towns.admin)) == [towns.a]
    assert list(scope.towns_visible_to(towns.admin_b)) == [towns.b]
    assert set(scope.towns_visible_to(towns.city)) == {towns.a, towns.b}
    # Staff of B's community: the towns of what they see (B, and A through A009's cooperative).
    assert set(scope.towns_visible_to(towns.staff_b)) == {towns.a, towns.b}


def test_a_town_admin_without_a_town_sees_nothing(towns):
    lost = factories.user(role=User.Role.SUBDISTRICT_ADMIN, town=None)
    lost.town = None
    lost.save()
    assert not scope.households_visible_to(lost).exists()
    assert not scope.communities_visible_to(lost).exists()
    assert not scope.admin_rows(lost, Town.objects.all()).exists()


def test_user_set_role_makes_a_town_admin_staff_not_superuser(towns):
    user = factories.user(username="new_admin")
    user_set_role(user=user, actor=towns.city, role=User.Role.SUBDISTRICT_ADMIN, town=towns.b)
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser, user.town) == (True, False, towns.b)
    assert user.is_town_admin
    user_set_role(user=user, actor=towns.city, role=User.Role.CITY_ADMIN)
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser, user.town) == (True, True, None)
    with pytest.raises(ValidationError):
        user_set_role(user=user, actor=towns.city, role=User.Role.SUBDISTRICT_ADMIN)


def test_the_city_admin_reads_but_does_not_score_or_pay(towns):
    city = towns.city
    assert scope.households_visible_to(city).count() == 6
    assert not scope.households_scorable_by(city).exists()
    assert not scope.households_payable_by(city).exists()
    assert not scope.cooperatives_managed_by(city).exists()
    assert not scope.households_login_keepable_by(city).exists()
    assert scope.cooperatives_signed_by(city).count() == 3  # reads every run
    assert not city.may_sign and city.may_read_runs and city.may_read_audit


# --- Linkage across towns: the four sides ------------------------------------------------


@pytest.fixture
def scored(towns, items):
    """B's staff score A009 (living in B) under the standard A's cooperative adopted."""
    score_events_record(
        actor=towns.staff_b,
        entries=[
            Entry(
                household_id=towns.across.pk,
                item_id=items["clean"].pk,
                occurred_on=date(2026, 3, 2),
            )
        ],
    )
    return towns


def test_b_staff_score_it_under_the_standard_its_cooperative_adopted(scored, standard):
    event = ScoreEvent.objects.get(household=scored.across)
    assert event.item.standard == standard and standard.town == scored.a
    assert event.community == scored.community_b
    assert event.entered_by == scored.staff_b


def test_the_points_count_for_a_s_cooperative(scored, standard):
    scores = annual_scores(households=scored.coop_a.households.all(), year=2026)
    assert scores[scored.across.pk] == standard.base_points + 5


def test_the_scope_of_each_side(scored):
    w = scored
    # A's admin: the household (their cooperative's) and its register and dividend; not
    # its scoring (it lives in B).
    assert w.across in scope.households_visible_to(w.admin)
    assert w.across in scope.households_payable_by(w.admin)
    assert w.across not in scope.households_scorable_by(w.admin)
    assert w.b_own not in scope.households_visible_to(w.admin)
    assert w.community_b not in scope.communities_visible_to(w.admin)
    assert w.community_b in scope.communities_linked_to(w.admin)
    # B's admin: the household as their community's resident: scoring, not the register.
    assert w.across in scope.households_visible_to(w.admin_b)
    assert w.across in scope.households_scorable_by(w.admin_b)
    assert w.across not in scope.households_payable_by(w.admin_b)
    assert w.coop_a in scope.cooperatives_visible_to(w.admin_b)
    assert w.coop_a not in scope.cooperatives_managed_by(w.admin_b)
    assert numbers(scope.households_visible_to(w.admin_b)) == ["A009", "D001"]
    # Staff: B's community's staff score it; A's staff (east) do not see it.
    assert w.across in scope.households_scorable_by(w.staff_b)
    assert w.across not in scope.households_visible_to(w.staff_east)


@pytest.mark.parametrize("side", ["admin", "admin_b", "staff_b"])
def test_each_side_reads_the_household_and_its_points(scored, login, side):
    client = login(getattr(scored, side))
    for name in ("villages:household_detail", "communities:household_points"):
        page = client.get(reverse(name, args=[scored.across.pk]))
        assert page.status_code == 200, (side, name)
        assert "冯秋菊" in page.content.decode()
    points = client.get(reverse("communities:household_points", args=[scored.across.pk]))
    assert "庭院整洁" in points.content.decode()


def test_a_s_staff_do_not_read_it(scored, login):
    client = login(scored.staff_east)
    assert (
        client.get(reverse("communities:household_points", args=[scored.across.pk])).status_code
        == 404
    )


@pytest.mark.parametrize("side", ["admin", "admin_b"])
def test_the_matrix_of_both_towns_shows_the_cell(scored, login, side):
    client = login(getattr(scored, side))
    village = scored.coop_a.village
    matrix = client.get(reverse("overview:matrix"), {"year": 2026})
    assert matrix.status_code == 200
    cells = matrix.context["matrix"].cells
    assert (village.pk, scored.community_b.pk) in cells
    cell = client.get(reverse("overview:matrix_cell", args=[village.pk, scored.community_b.pk]))
    assert cell.status_code == 200
    assert "冯秋菊" in cell.content.decode()


def test_the_other_town_s_own_household_is_404_for_a_s_admin(scored, login):
    client = login(scored.admin)
    for name in ("villages:household_detail", "communities:household_points"):
        assert client.get(reverse(name, args=[scored.b_own.pk])).status_code == 404


# --- The admin site as a town admin ------------------------------------------------------


def test_a_town_admin_lists_and_searches_their_town_only(scored, login):
    client = login(scored.admin_b)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    page = client.get(reverse("admin:villages_household_changelist"))
    assert page.status_code == 200
    assert sorted(h.number for h in page.context["cl"].result_list) == ["A009", "D001"]
    search = client.get(reverse("admin:villages_household_changelist"), {"q": "张"})
    assert search.status_code == 200 and search.context["cl"].result_count == 0
    communities = client.get(reverse("admin:communities_community_changelist"))
    assert [c.code for c in communities.context["cl"].result_list] == ["HJMCWH"]
    towns_page = client.get(reverse("admin:villages_town_changelist"))
    assert [t.code for t in towns_page.context["cl"].result_list] == ["DUSHAN"]
    # The city's pages: logins and the audit trail.
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert client.get(reverse("admin:accounts_auditrecord_changelist")).status_code == 403


def test_another_town_s_object_is_404_in_the_admin(scored, login):
    client = login(scored.admin_b)
    for name, pk in (
        ("admin:villages_household_change", scored.a_east.pk),
        ("admin:villages_cooperative_change", scored.coop_b.pk),
        ("admin:communities_community_change", scored.east.pk),
        ("admin:villages_town_change", scored.a.pk),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 404, name
        assert client.post(reverse(name, args=[pk]), {"name": "x"}).status_code == 404, name
    # Their own: open, not deletable.
    assert (
        client.get(reverse("admin:villages_household_change", args=[scored.b_own.pk])).status_code
        == 200
    )
    delete = reverse("admin:villages_household_delete", args=[scored.b_own.pk])
    assert client.get(delete).status_code == 403


def test_a_town_admin_reads_but_does_not_change_another_town_s_register(scored, login):
    client = login(scored.admin_b)
    url = reverse("admin:villages_household_change", args=[scored.across.pk])
    page = client.get(url)
    assert page.status_code == 200 and "冯秋菊" in page.content.decode()
    assert client.post(url, {"head_name": "改名"}).status_code == 403
    scored.across.refresh_from_db()
    assert scored.across.head_name == "冯秋菊"
    # A's admin keeps it.
    assert login(scored.admin).get(url).context["has_change_permission"]


def test_the_admin_autocomplete_offers_their_town_only(scored, login):
    client = login(scored.admin_b)
    answer = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "villages",
            "model_name": "household",
            "field_name": "micro_grid",
            "term": "",
        },
    )
    assert answer.status_code == 200
    assert {row["id"] for row in answer.json()["results"]} == {str(scored.grid_b.pk)}
    households = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "villages", "model_name": "member", "field_name": "household", "term": ""},
    )
    assert households.status_code == 200
    assert {row["id"] for row in households.json()["results"]} == {
        str(scored.across.pk),
        str(scored.b_own.pk),
    }
    # A search for another town's household finds nothing.
    other = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "villages",
            "model_name": "member",
            "field_name": "household",
            "term": scored.a_east.number,
        },
    )
    assert other.json()["results"] == []


def test_a_town_admin_s_form_offers_only_their_town(scored, login):
    client = login(scored.admin_b)
    page = client.get(reverse("admin:villages_household_change", args=[scored.b_own.pk]))
    cooperatives = page.context["adminform"].form.fields["cooperative"].queryset
    communities = page.context["adminform"].form.fields["community"].queryset
    assert list(cooperatives) == [scored.b_coop]  # a household is put in their town's only
    assert list(communities) == [scored.community_b]


def test_the_city_admin_keeps_the_whole_admin(scored, login):
    client = login(scored.city)
    page = client.get(reverse("admin:villages_household_changelist"))
    assert page.context["cl"].result_count == 6
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert client.get(reverse("admin:villages_town_change", args=[scored.b.pk])).status_code == 200


def test_every_model_admin_and_inline_of_ours_is_scoped():
    """A new ModelAdmin or inline without the scoped base would list every town's rows."""
    from django.contrib import admin

    from accounts.admin_scope import ScopedAdmin, ScopedInline

    ours = {"accounts", "villages", "communities", "dividends", "awards", "appeals"}
    ours |= {"banking", "matters"}
    offenders = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ours:
            continue
        if not isinstance(model_admin, ScopedAdmin):
            offenders.append(model._meta.label)
        offenders += [
            f"{model._meta.label}: {inline.__name__}"
            for inline in model_admin.inlines
            if not issubclass(inline, ScopedInline)
        ]
    assert offenders == []


def test_a_town_admin_reads_their_town_s_audit_trail_only(scored, login):
    from accounts.models import AuditRecord

    scope_b = scope.audit_records_visible_to(scored.admin_b)
    assert scope_b.exists()
    assert set(scope_b.values_list("actor_id", flat=True)) <= {
        scored.staff_b.pk,
        scored.admin_b.pk,
        None,
    }
    # The score event B's staff entered is in B's trail, not in A's.
    entered = AuditRecord.objects.filter(actor=scored.staff_b)
    assert entered.exists()
    assert not scope.audit_records_visible_to(scored.admin).filter(actor=scored.staff_b).exists()
    page = login(scored.admin).get(reverse("accounts:audit_list"))
    assert page.status_code == 200
    assert all(record.actor_id != scored.staff_b.pk for record in page.context["page"])
