"""The admin for standards, items and the points ledger: standards are managed there, a
published standard is frozen, and the ledger can be read but never changed."""

import io
from datetime import date
from decimal import Decimal

import pytest
import tablib
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import AuditRecord, User
from communities import services
from communities.models import (
    EventReview,
    MonthStatusChange,
    ScoreEvent,
    ScoringItem,
    ScoringStandard,
    StandardAdoption,
)
from communities.resources import ItemResource
from communities.services import Entry
from tests import factories

from .conftest import YEAR


@pytest.fixture
def admin_client(world, client):
    world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    return client


@pytest.fixture
def ledger(world, items):
    world.east.review_required = True
    world.east.save()
    colleague = factories.user(role=User.Role.COMMUNITY_STAFF, communities=[world.east])
    (event,) = services.score_events_record(
        actor=world.staff_east,
        entries=[
            Entry(
                household_id=world.a_east.pk,
                item_id=items["clean"].pk,
                occurred_on=date(YEAR, 3, 1),
            )
        ],
        today=date(YEAR, 12, 31),
    )
    review = services.score_event_review(actor=colleague, event=event, decision="confirmed")
    change = services.month_close(
        actor=world.staff_east,
        community=world.east,
        month=date(YEAR, 3, 1),
        today=date(YEAR, 12, 31),
    )
    return {"event": event, "review": review, "change": change}


def url(name, *args):
    return reverse(f"admin:communities_{name}", args=args)


# --- the ledger is read-only -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "key"),
    [("scoreevent", "event"), ("eventreview", "review"), ("monthstatuschange", "change")],
)
def test_ledger_rows_can_be_read_but_never_added_changed_or_deleted(
    admin_client, ledger, model, key
):
    row = ledger[key]

    assert admin_client.get(url(f"{model}_changelist")).status_code == 200
    assert admin_client.get(url(f"{model}_change", row.pk)).status_code == 200  # view only
    assert admin_client.get(url(f"{model}_add")).status_code == 403
    assert admin_client.post(url(f"{model}_add"), {}).status_code == 403
    assert (
        admin_client.post(url(f"{model}_change", row.pk), {"note": "x", "reason": "x"}).status_code
        == 403
    )
    assert admin_client.get(url(f"{model}_delete", row.pk)).status_code == 403
    assert admin_client.post(url(f"{model}_delete", row.pk), {"post": "yes"}).status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()


def test_no_bulk_delete_action_on_the_ledger(admin_client, ledger):
    response = admin_client.post(
        url("scoreevent_changelist"),
        {"action": "delete_selected", "_selected_action": [ledger["event"].pk], "post": "yes"},
    )

    assert response.status_code in (200, 302)
    assert ScoreEvent.objects.filter(pk=ledger["event"].pk).exists()


def test_score_event_list_filters_and_search(admin_client, ledger, world, items):
    changelist = url("scoreevent_changelist")

    for params in (
        {"community__id__exact": world.east.pk},
        {"item__id__exact": items["clean"].pk},
        {"item__category__exact": "environment"},
        {"occurred_on__year": YEAR, "occurred_on__month": 3},
        {"q": "A001"},
        {"q": "王建国"},
        {"reverses__isempty": "1"},
    ):
        response = admin_client.get(changelist, params)
        assert response.status_code == 200, params
        assert response.context["cl"].result_count == 1, params

    assert admin_client.get(changelist, {"q": "B002"}).context["cl"].result_count == 0


def test_staff_with_view_permission_sees_only_their_communitys_events(client, ledger, world, items):
    services.score_events_record(
        actor=world.staff_west,
        entries=[
            Entry(
                household_id=world.a_west.pk,
                item_id=items["clean"].pk,
                occurred_on=date(YEAR, 3, 1),
            )
        ],
        today=date(YEAR, 12, 31),
    )
    world.staff_west.is_staff = True
    world.staff_west.save()
    world.staff_west.user_permissions.add(Permission.objects.get(codename="view_scoreevent"))
    client.force_login(world.staff_west)

    response = client.get(url("scoreevent_changelist"))

    assert response.status_code == 200
    assert [event.household for event in response.context["cl"].result_list] == [world.a_west]
    assert client.get(url("scoreevent_change", ledger["event"].pk)).status_code in (302, 404)


# --- standards and items --------------------------------------------------------------------


def test_standard_list_filters_and_search(admin_client, standard, items):
    changelist = url("scoringstandard_changelist")

    for params in ({"year": YEAR}, {"status__exact": "published"}, {"q": "统一"}, {"q": "甲村"}):
        response = admin_client.get(changelist, params)
        assert response.context["cl"].result_count == 1, params
    assert admin_client.get(changelist, {"status__exact": "draft"}).context["cl"].result_count == 0


def _standard_form(standard, **changes):
    data = {
        "town": factories.town().pk,
        "name": standard.name,
        "year": standard.year,
        "theme": standard.theme,
        "base_points": standard.base_points,
        "lower_bound": standard.lower_bound,
        "upper_bound": standard.upper_bound,
        "status": standard.status,
        "adoptions-TOTAL_FORMS": 0,
        "adoptions-INITIAL_FORMS": 0,
        "items-TOTAL_FORMS": 0,
        "items-INITIAL_FORMS": 0,
    }
    data.update(changes)
    return data


def test_draft_standard_is_created_with_items_and_an_adoption(
    admin_client, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    resolution = io.BytesIO(b"%PDF-1.4 resolution")
    resolution.name = "决议.pdf"
    data = {
        "town": factories.town().pk,
        "name": "通界村主题标准",
        "year": YEAR,
        "theme": "美丽庭院",
        "base_points": "100",
        "lower_bound": "0",
        "upper_bound": "120",
        "status": "draft",
        "adoptions-TOTAL_FORMS": 1,
        "adoptions-INITIAL_FORMS": 0,
        "adoptions-0-cooperative": world.coop_a.pk,
        "adoptions-0-meeting_date": f"{YEAR}-01-20",
        "adoptions-0-votes_for": 40,
        "adoptions-0-votes_against": 1,
        "adoptions-0-votes_abstain": 0,
        "adoptions-0-resolution": resolution,
        "items-TOTAL_FORMS": 1,
        "items-INITIAL_FORMS": 0,
        "items-0-code": "MT01",
        "items-0-name": "美丽庭院",
        "items-0-category": "environment",
        "items-0-direction": "add",
        "items-0-default_points": "5",
        "items-0-min_points": "1",
        "items-0-max_points": "10",
    }

    response = admin_client.post(url("scoringstandard_add"), data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    standard = ScoringStandard.objects.get(name="通界村主题标准")
    assert standard.items.get().code == "MT01"
    adoption = standard.adoptions.get()
    assert adoption.year == YEAR
    assert adoption.resolution.name.startswith("resolutions/")


def test_a_second_standard_for_the_same_cooperative_and_year_is_refused(
    admin_client, world, standard
):
    other = ScoringStandard.objects.create(town=factories.town(), name="另一标准", year=YEAR)
    data = _standard_form(
        other,
        **{
            "adoptions-TOTAL_FORMS": 1,
            "adoptions-0-cooperative": world.coop_a.pk,
            "adoptions-0-meeting_date": f"{YEAR}-02-01",
            "adoptions-0-votes_for": 10,
            "adoptions-0-votes_against": 0,
            "adoptions-0-votes_abstain": 0,
        },
    )

    response = admin_client.post(url("scoringstandard_change", other.pk), data)

    assert response.status_code == 200  # the form again, with the error
    assert "每年只能采用一个标准" in response.content.decode()
    assert not other.adoptions.exists()


def _adoption(index, cooperative, **extra):
    return {
        f"adoptions-{index}-cooperative": cooperative.pk,
        f"adoptions-{index}-meeting_date": f"{YEAR}-02-01",
        f"adoptions-{index}-votes_for": 10,
        f"adoptions-{index}-votes_against": 0,
        f"adoptions-{index}-votes_abstain": 0,
        **extra,
    }


def test_adding_a_standard_whose_adoption_repeats_a_cooperative_and_year_is_a_form_error(
    admin_client, world, standard, settings, tmp_path
):
    """Issue 20, point 11: on the add page the standard does not exist yet; this was the
    database's IntegrityError, a 500, with the resolution file left on disk."""
    settings.MEDIA_ROOT = tmp_path
    resolution = io.BytesIO(b"%PDF-1.4 resolution")
    resolution.name = "决议.pdf"
    data = _standard_form(
        ScoringStandard(name="新增标准", year=YEAR, base_points=80, lower_bound=0, upper_bound=120),
        **{"adoptions-TOTAL_FORMS": 1, **_adoption(0, world.coop_a)},
    )
    data["adoptions-0-resolution"] = resolution
    before = ScoringStandard.objects.count()

    response = admin_client.post(url("scoringstandard_add"), data)

    assert response.status_code == 200  # the form again, with the error at the row
    assert "每年只能采用一个标准" in response.content.decode()
    assert ScoringStandard.objects.count() == before
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_two_rows_of_one_cooperative_on_the_add_page_are_a_form_error(admin_client, world):
    data = _standard_form(
        ScoringStandard(name="新增标准", year=YEAR, base_points=80, lower_bound=0, upper_bound=120),
        **{
            "adoptions-TOTAL_FORMS": 2,
            **_adoption(0, world.coop_b),
            **_adoption(1, world.coop_b),
        },
    )

    response = admin_client.post(url("scoringstandard_add"), data)

    assert response.status_code == 200
    assert "每年只能采用一个标准" in response.content.decode()
    assert not ScoringStandard.objects.filter(name="新增标准").exists()


def test_moving_a_draft_into_a_year_its_cooperative_has_a_standard_for_is_a_form_error(
    admin_client, world, standard
):
    draft = ScoringStandard.objects.create(town=factories.town(), name="明年草稿", year=YEAR + 1)
    adoption = StandardAdoption.objects.create(
        standard=draft, cooperative=world.coop_a, meeting_date=date(YEAR, 12, 1), votes_for=10
    )
    data = _standard_form(
        draft,
        year=YEAR,  # the cooperative adopted `standard` for this year
        **{
            "adoptions-TOTAL_FORMS": 1,
            "adoptions-INITIAL_FORMS": 1,
            "adoptions-0-id": adoption.pk,
            "adoptions-0-standard": draft.pk,
            **_adoption(0, world.coop_a, **{"adoptions-0-meeting_date": "2026-12-01"}),
        },
    )

    response = admin_client.post(url("scoringstandard_change", draft.pk), data)

    assert response.status_code == 200
    assert "每年只能采用一个标准" in response.content.decode()
    draft.refresh_from_db()
    assert draft.year == YEAR + 1


def test_a_standard_keeps_its_own_adoptions_when_saved_again(admin_client, world, tmp_path):
    draft = ScoringStandard.objects.create(town=factories.town(), name="草稿", year=YEAR)
    adoption = StandardAdoption.objects.create(
        standard=draft, cooperative=world.coop_a, meeting_date=date(YEAR, 1, 20), votes_for=10
    )
    data = _standard_form(
        draft,
        **{
            "adoptions-TOTAL_FORMS": 1,
            "adoptions-INITIAL_FORMS": 1,
            "adoptions-0-id": adoption.pk,
            "adoptions-0-standard": draft.pk,
            **_adoption(0, world.coop_a, **{"adoptions-0-meeting_date": f"{YEAR}-01-20"}),
        },
    )

    response = admin_client.post(url("scoringstandard_change", draft.pk), data)

    assert response.status_code == 302


def test_publishing_is_audited(admin_client, world):
    draft = ScoringStandard.objects.create(town=factories.town(), name="草稿标准", year=YEAR)

    response = admin_client.post(
        url("scoringstandard_change", draft.pk), _standard_form(draft, status="published")
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ScoringStandard.Status.PUBLISHED
    assert (
        AuditRecord.objects.filter(action="standard.published", object_id=str(draft.pk)).count()
        == 1
    )


def test_published_standard_and_its_items_are_read_only(admin_client, standard, items):
    clean = items["clean"]
    data = _standard_form(
        standard,
        base_points="90",
        status="draft",
        **{
            "items-TOTAL_FORMS": 1,
            "items-INITIAL_FORMS": 1,
            "items-0-id": clean.pk,
            "items-0-standard": standard.pk,
            "items-0-code": clean.code,
            "items-0-name": "改过的名字",
            "items-0-category": clean.category,
            "items-0-direction": clean.direction,
            "items-0-default_points": "9",
            "items-0-min_points": "1",
            "items-0-max_points": "10",
        },
    )
    # The adoptions inline stays editable: send the existing rows back unchanged.
    adoptions = list(standard.adoptions.all())
    data["adoptions-TOTAL_FORMS"] = data["adoptions-INITIAL_FORMS"] = len(adoptions)
    for index, adoption in enumerate(adoptions):
        data.update(
            {
                f"adoptions-{index}-id": adoption.pk,
                f"adoptions-{index}-standard": standard.pk,
                f"adoptions-{index}-cooperative": adoption.cooperative_id,
                f"adoptions-{index}-meeting_date": adoption.meeting_date.isoformat(),
                f"adoptions-{index}-votes_for": adoption.votes_for,
                f"adoptions-{index}-votes_against": adoption.votes_against,
                f"adoptions-{index}-votes_abstain": adoption.votes_abstain,
            }
        )

    response = admin_client.post(url("scoringstandard_change", standard.pk), data)

    assert response.status_code == 302  # saved: the frozen fields were simply not taken
    standard.refresh_from_db()
    clean.refresh_from_db()
    assert standard.status == ScoringStandard.Status.PUBLISHED
    assert standard.base_points == Decimal("80")
    assert clean.name == "庭院整洁"
    assert clean.default_points == Decimal("5")
    # The item's own admin page is view-only, and nothing can be deleted.
    assert admin_client.post(url("scoringitem_change", clean.pk), {"name": "x"}).status_code == 403
    assert (
        admin_client.post(url("scoringitem_delete", clean.pk), {"post": "yes"}).status_code == 403
    )
    assert (
        admin_client.post(url("scoringstandard_delete", standard.pk), {"post": "yes"}).status_code
        == 403
    )
    assert ScoringItem.objects.filter(pk=clean.pk).exists()


def test_items_of_a_draft_standard_can_be_changed(admin_client):
    draft = ScoringStandard.objects.create(town=factories.town(), name="草稿标准", year=YEAR)
    item = ScoringItem.objects.create(
        standard=draft,
        code="X1",
        name="旧名",
        category="other",
        direction="add",
        default_points=Decimal("2"),
        min_points=Decimal("1"),
        max_points=Decimal("3"),
    )
    data = {
        "standard": draft.pk,
        "code": "X1",
        "name": "新名",
        "category": "other",
        "direction": "add",
        "default_points": "2",
        "min_points": "1",
        "max_points": "3",
        "description": "",
    }

    response = admin_client.post(url("scoringitem_change", item.pk), data)

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "新名"


def test_item_admin_refuses_an_inconsistent_range(admin_client):
    draft = ScoringStandard.objects.create(town=factories.town(), name="草稿标准", year=YEAR)
    data = {
        "standard": draft.pk,
        "code": "X1",
        "name": "坏范围",
        "category": "other",
        "direction": "add",
        "default_points": "9",
        "min_points": "1",
        "max_points": "3",
        "description": "",
    }

    response = admin_client.post(url("scoringitem_add"), data)

    assert response.status_code == 200
    assert not ScoringItem.objects.filter(code="X1").exists()


def test_copy_as_new_version_makes_an_editable_draft(admin_client, standard, items):
    response = admin_client.post(
        url("scoringstandard_changelist"),
        {"action": "copy_as_new_version", "_selected_action": [standard.pk]},
    )

    assert response.status_code == 302
    copy = ScoringStandard.objects.exclude(pk=standard.pk).get()
    assert copy.status == ScoringStandard.Status.DRAFT
    assert copy.year == YEAR
    assert sorted(copy.items.values_list("code", flat=True)) == sorted(
        item.code for item in items.values()
    )
    assert not copy.adoptions.exists()
    assert standard.items.count() == len(items)


# --- item import / export -------------------------------------------------------------------


def _dataset(standard_label, **overrides):
    row = {
        "standard": standard_label,
        "code": "NEW1",
        "name": "新项目",
        "category": "civility",
        "direction": "add",
        "default_points": "2",
        "min_points": "1",
        "max_points": "4",
        "cap_per_month": "",
        "cap_per_year": "",
        "is_veto": "0",
        "evidence_required": "0",
        "description": "",
    }
    row.update(overrides)
    return tablib.Dataset(list(row.values()), headers=list(row.keys()))


def test_item_export_names_the_standard_by_year_and_name(standard, items):
    exported = ItemResource().export()

    assert set(exported["standard"]) == {f"{YEAR} 撤建制村统一标准"}
    assert "HJ01" in exported["code"]


def test_items_import_into_a_draft_standard(world):
    draft = ScoringStandard.objects.create(town=factories.town(), name="草稿标准", year=YEAR)

    result = ItemResource().import_data(_dataset(f"{YEAR} 草稿标准"), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert draft.items.get().code == "NEW1"


def test_items_import_into_a_published_standard_is_refused(standard, items):
    for dataset in (
        _dataset(f"{YEAR} 撤建制村统一标准"),
        _dataset(f"{YEAR} 撤建制村统一标准", code="HJ01", name="改名"),
    ):
        result = ItemResource().import_data(dataset, dry_run=False)
        assert result.has_validation_errors()
    assert not ScoringItem.objects.filter(code="NEW1").exists()
    assert ScoringItem.objects.get(code="HJ01").name == "庭院整洁"


def test_items_import_reports_an_unknown_standard_and_a_bad_range(world):
    ScoringStandard.objects.create(town=factories.town(), name="草稿标准", year=YEAR)

    unknown = ItemResource().import_data(_dataset("2099 不存在"), dry_run=False)
    bad_range = ItemResource().import_data(
        _dataset(f"{YEAR} 草稿标准", default_points="9"), dry_run=False
    )

    assert unknown.has_errors() or unknown.has_validation_errors()
    assert bad_range.has_validation_errors()
    assert not ScoringItem.objects.exists()


def test_item_import_page_opens(admin_client):
    assert admin_client.get(url("scoringitem_import")).status_code == 200
    assert admin_client.get(url("scoringitem_export")).status_code == 200


def test_adoption_is_listed_with_its_standard(admin_client, standard):
    body = admin_client.get(url("scoringstandard_change", standard.pk)).content.decode()

    assert "甲村股份经济合作社" in body
    assert "复制为新版本" in body  # how to correct a published standard
    assert StandardAdoption.objects.filter(standard=standard).count() == 2
    assert not EventReview.objects.exists() and not MonthStatusChange.objects.exists()


def test_adoptions_of_a_published_standard_cannot_be_changed_or_removed(client, world, standard):
    from django.contrib import admin as django_admin

    from communities.admin import ScoringStandardAdmin, StandardAdoptionInline

    world.admin.is_superuser = True
    world.admin.save()
    request = type("Request", (), {"user": world.admin})()
    inline = StandardAdoptionInline(ScoringStandardAdmin, django_admin.site)
    assert not inline.has_change_permission(request, standard)
    assert not inline.has_delete_permission(request, standard)
    assert inline.has_add_permission(request, standard)
