"""The share ledger (villages/services.py): every change is a new line, never an edit."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditRecord
from villages import selectors, services
from villages.models import ShareMovement

D = Decimal


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def rk_a(world):
    return world.coop_a.share_classes.get(code="RK")


@pytest.fixture
def rk_b(world):
    return world.coop_b.share_classes.get(code="RK")


@pytest.fixture
def superadmin(world):
    world.admin.is_superuser = True
    world.admin.save()
    return world.admin


def held(household, on=date(2030, 1, 1)):
    """Holdings on a date, keyed by share class code."""
    holdings = selectors.household_holdings(household=household, on=on)
    return {share_class.code: quantity for share_class, quantity in holdings.items()}


def transfer(world, rk, **overrides):
    arguments = {
        "source": world.a_east,
        "target": world.a_west,
        "share_class": rk,
        "quantity": D("1"),
        "effective_on": date(2024, 1, 1),
        "reason": "转让",
        "actor": world.accountant_a,
    }
    arguments.update(overrides)
    return services.share_transfer(**arguments)


# Issue and cancel


def test_issue_adds_to_holdings(world, rk_a):
    services.share_issue(
        household=world.a_east,
        share_class=rk_a,
        quantity=D("2"),
        effective_on=date(2024, 1, 1),
        reason="配股",
        actor=world.accountant_a,
    )

    assert held(world.a_east) == {"RK": D("5")}


def test_issue_is_audited(world, rk_a):
    services.share_issue(
        household=world.a_east,
        share_class=rk_a,
        quantity=D("2"),
        effective_on=date(2024, 1, 1),
        reason="配股",
        actor=world.accountant_a,
    )

    record = AuditRecord.objects.get(action="share.issue")
    assert record.actor_username == "acc_a"
    assert record.details["quantity"] == "2"


def test_issue_of_another_cooperatives_share_class_is_refused(world, rk_b):
    with pytest.raises(ValidationError):
        services.share_issue(
            household=world.a_east,
            share_class=rk_b,
            quantity=D("1"),
            effective_on=date(2024, 1, 1),
            reason="错股种",
            actor=world.admin,
        )
    assert held(world.a_east) == {"RK": D("3")}


def test_cancel_removes_from_holdings(world, rk_a):
    services.share_cancel(
        household=world.a_east,
        share_class=rk_a,
        quantity=D("3"),
        effective_on=date(2024, 1, 1),
        reason="退股",
        actor=world.accountant_a,
    )

    assert held(world.a_east) == {}
    assert AuditRecord.objects.filter(action="share.cancel").count() == 1


def test_cancel_of_more_than_held_is_refused_and_saves_nothing(world, rk_a):
    before = ShareMovement.objects.count()

    with pytest.raises(ValidationError):
        services.share_cancel(
            household=world.a_east,
            share_class=rk_a,
            quantity=D("4"),
            effective_on=date(2024, 1, 1),
            reason="退股",
            actor=world.accountant_a,
        )

    assert ShareMovement.objects.count() == before
    assert not AuditRecord.objects.filter(action="share.cancel").exists()


# Transfer and inheritance


def test_transfer_moves_shares_between_households(world, rk_a):
    transfer(world, rk_a, quantity=D("1.5"))

    assert held(world.a_east) == {"RK": D("1.5")}
    assert held(world.a_west) == {"RK": D("3.5")}


def test_transfer_writes_a_pair_of_lines_sharing_a_group(world, rk_a):
    outgoing = transfer(world, rk_a)

    pair = ShareMovement.objects.filter(transfer_group=outgoing.transfer_group)
    assert sorted((line.household.number, line.quantity) for line in pair) == [
        ("A001", D("-1")),
        ("A002", D("1")),
    ]
    assert {line.kind for line in pair} == {ShareMovement.Kind.TRANSFER}
    assert {line.counterpart.number for line in pair} == {"A001", "A002"}


def test_inheritance_is_recorded_with_its_own_kind_and_audit_action(world, rk_a):
    outgoing = transfer(world, rk_a, quantity=D("3"), inheritance=True, reason="继承")

    pair = ShareMovement.objects.filter(transfer_group=outgoing.transfer_group)
    assert {line.kind for line in pair} == {ShareMovement.Kind.INHERITANCE}
    assert held(world.a_east) == {}
    assert held(world.a_west) == {"RK": D("5")}
    assert AuditRecord.objects.filter(action="share.inheritance").count() == 1
    assert not AuditRecord.objects.filter(action="share.transfer").exists()


def test_holdings_before_the_effective_date_are_unchanged(world, rk_a):
    transfer(world, rk_a, quantity=D("2"), effective_on=date(2024, 7, 1))

    assert held(world.a_east, on=date(2024, 6, 30)) == {"RK": D("3")}
    assert held(world.a_west, on=date(2024, 6, 30)) == {"RK": D("2")}
    assert held(world.a_east, on=date(2024, 7, 1)) == {"RK": D("1")}
    assert held(world.a_west, on=date(2024, 7, 1)) == {"RK": D("4")}


def test_holdings_before_the_first_issue_are_empty(world):
    assert held(world.a_east, on=date(2017, 12, 31)) == {}


def test_holdings_by_household_agree_with_single_household_holdings(world, rk_a):
    transfer(world, rk_a, quantity=D("2"), effective_on=date(2024, 7, 1))

    many = selectors.holdings_by_household(
        households=[world.a_east, world.a_west, world.b_east], on=date(2024, 7, 1)
    )

    assert many == {
        world.a_east.pk: {rk_a.pk: D("1")},
        world.a_west.pk: {rk_a.pk: D("4")},
        world.b_east.pk: {world.coop_b.share_classes.get().pk: D("4")},
    }


def test_ledger_shows_running_balance(world, rk_a):
    transfer(world, rk_a, quantity=D("1"), effective_on=date(2024, 1, 1))
    transfer(world, rk_a, quantity=D("2"), effective_on=date(2025, 1, 1))

    lines = selectors.household_share_ledger(household=world.a_east)

    assert [(line.quantity, balance) for line, balance in lines] == [
        (D("3"), D("3")),
        (D("-1"), D("2")),
        (D("-2"), D("0")),
    ]


def test_transfer_leaving_the_source_below_zero_is_refused_and_saves_nothing(world, rk_a):
    before = ShareMovement.objects.count()

    with pytest.raises(ValidationError):
        transfer(world, rk_a, quantity=D("3.01"))

    assert ShareMovement.objects.count() == before
    assert held(world.a_east) == {"RK": D("3")}
    assert held(world.a_west) == {"RK": D("2")}
    assert not AuditRecord.objects.filter(action="share.transfer").exists()


def test_backdated_transfer_making_a_later_balance_negative_is_refused(world, rk_a):
    transfer(world, rk_a, quantity=D("3"), effective_on=date(2022, 1, 1))
    before = ShareMovement.objects.count()

    # On 2020-01-01 A001 still holds 3, but the 2022 transfer would then overdraw it.
    with pytest.raises(ValidationError):
        transfer(world, rk_a, quantity=D("1"), effective_on=date(2020, 1, 1))

    assert ShareMovement.objects.count() == before
    assert held(world.a_east, on=date(2021, 1, 1)) == {"RK": D("3")}


def test_transfer_before_the_shares_were_issued_is_refused(world, rk_a):
    with pytest.raises(ValidationError):
        transfer(world, rk_a, quantity=D("1"), effective_on=date(2017, 1, 1))


def test_transfer_across_cooperatives_is_refused(world, rk_a):
    before = ShareMovement.objects.count()

    with pytest.raises(ValidationError):
        transfer(world, rk_a, target=world.b_east)

    assert ShareMovement.objects.count() == before


def test_transfer_with_another_cooperatives_share_class_is_refused(world, rk_b):
    with pytest.raises(ValidationError):
        transfer(world, rk_b)


def test_transfer_to_the_same_household_is_refused(world, rk_a):
    before = ShareMovement.objects.count()

    with pytest.raises(ValidationError):
        transfer(world, rk_a, target=world.a_east)

    assert ShareMovement.objects.count() == before


@pytest.mark.parametrize("quantity", [D("0"), D("-1"), "0.00", -2])
def test_transfer_of_zero_or_negative_quantity_is_refused(world, rk_a, quantity):
    before = ShareMovement.objects.count()

    with pytest.raises(ValidationError):
        transfer(world, rk_a, quantity=quantity)

    assert ShareMovement.objects.count() == before


@pytest.mark.parametrize("quantity", [D("0"), D("-1")])
def test_issue_or_cancel_of_zero_or_negative_quantity_is_refused(world, rk_a, quantity):
    for service in (services.share_issue, services.share_cancel):
        with pytest.raises(ValidationError):
            service(
                household=world.a_east,
                share_class=rk_a,
                quantity=quantity,
                effective_on=date(2024, 1, 1),
                reason="零",
                actor=world.admin,
            )


# The ledger is append-only


@pytest.fixture
def movement(world):
    return world.a_east.share_movements.get()


def test_saving_an_existing_movement_is_refused(movement):
    movement.quantity = D("300")

    with pytest.raises(PermissionError):
        movement.save()
    assert ShareMovement.objects.get(pk=movement.pk).quantity == D("3")


def test_deleting_a_movement_is_refused(movement):
    with pytest.raises(PermissionError):
        movement.delete()
    assert ShareMovement.objects.filter(pk=movement.pk).exists()


def test_queryset_update_of_movements_is_refused(movement):
    with pytest.raises(PermissionError):
        ShareMovement.objects.filter(pk=movement.pk).update(quantity=D("300"))
    assert ShareMovement.objects.get(pk=movement.pk).quantity == D("3")


def test_queryset_delete_of_movements_is_refused(movement):
    with pytest.raises(PermissionError):
        ShareMovement.objects.all().delete()
    assert ShareMovement.objects.filter(pk=movement.pk).exists()


def test_related_manager_update_of_movements_is_refused(world, movement):
    with pytest.raises(PermissionError):
        world.a_east.share_movements.update(quantity=D("300"))


# The transfer page


def transfer_form(world, rk, **overrides):
    data = {
        "target_number": "A002",
        "share_class": rk.pk,
        "quantity": "1",
        "effective_on": "2024-01-01",
        "reason": "父子转让",
    }
    data.update(overrides)
    return data


def test_transfer_page_post_writes_two_lines_and_one_audit_record(world, rk_a, login):
    client = login(world.accountant_a)
    movements_before = ShareMovement.objects.count()
    audit_before = set(AuditRecord.objects.values_list("pk", flat=True))

    response = client.post(
        reverse("villages:share_transfer", args=[world.a_east.pk]),
        transfer_form(world, rk_a),
        REMOTE_ADDR="10.20.30.40",
    )

    assert response.status_code == 302
    assert response.url == reverse("villages:household_detail", args=[world.a_east.pk])
    assert ShareMovement.objects.count() == movements_before + 2
    new_records = AuditRecord.objects.exclude(pk__in=audit_before)
    assert new_records.count() == 1
    record = new_records.get()
    assert record.action == "share.transfer"
    assert record.actor == world.accountant_a
    assert record.actor_username == "acc_a"
    assert record.ip_address == "10.20.30.40"
    assert record.details["from"] == "A001"
    assert record.details["to"] == "A002"


def test_transfer_page_records_who_entered_the_lines(world, rk_a, login):
    login(world.accountant_a).post(
        reverse("villages:share_transfer", args=[world.a_east.pk]), transfer_form(world, rk_a)
    )

    lines = ShareMovement.objects.filter(kind=ShareMovement.Kind.TRANSFER)
    assert {line.recorded_by for line in lines} == {world.accountant_a}


def test_transfer_page_inheritance_box_records_an_inheritance(world, rk_a, login):
    login(world.accountant_a).post(
        reverse("villages:share_transfer", args=[world.a_east.pk]),
        transfer_form(world, rk_a, inheritance="on", quantity="3"),
    )

    assert ShareMovement.objects.filter(kind=ShareMovement.Kind.INHERITANCE).count() == 2
    assert AuditRecord.objects.filter(action="share.inheritance").count() == 1


def test_transfer_page_shows_the_ledger_error_and_saves_nothing(world, rk_a, login):
    before = ShareMovement.objects.count()

    response = login(world.accountant_a).post(
        reverse("villages:share_transfer", args=[world.a_east.pk]),
        transfer_form(world, rk_a, quantity="10"),
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert ShareMovement.objects.count() == before
    assert not AuditRecord.objects.filter(action="share.transfer").exists()


def test_transfer_page_refuses_another_cooperatives_share_class(world, rk_b, login):
    before = ShareMovement.objects.count()

    response = login(world.accountant_a).post(
        reverse("villages:share_transfer", args=[world.a_east.pk]), transfer_form(world, rk_b)
    )

    assert response.status_code == 200
    assert response.context["form"].errors["share_class"]
    assert ShareMovement.objects.count() == before


# The ledger in the admin


def test_admin_cannot_add_a_movement(superadmin, client):
    client.force_login(superadmin)

    assert client.get(reverse("admin:villages_sharemovement_add")).status_code == 403


def test_admin_cannot_delete_a_movement(superadmin, movement, client):
    client.force_login(superadmin)

    response = client.post(
        reverse("admin:villages_sharemovement_delete", args=[movement.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert ShareMovement.objects.filter(pk=movement.pk).exists()


def test_admin_movement_change_view_is_read_only(superadmin, movement, client):
    client.force_login(superadmin)
    url = reverse("admin:villages_sharemovement_change", args=[movement.pk])

    response = client.get(url)

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert client.post(url, {"quantity": "300"}).status_code == 403
    assert ShareMovement.objects.get(pk=movement.pk).quantity == D("3")


def test_admin_movement_changelist_offers_no_add_or_bulk_delete(superadmin, client):
    client.force_login(superadmin)

    response = client.get(reverse("admin:villages_sharemovement_changelist"))

    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("admin:villages_sharemovement_add") not in body
    assert "delete_selected" not in body


def test_household_admin_change_page_shows_the_ledger(world, superadmin, rk_a, client):
    transfer(world, rk_a, quantity=D("1"), reason="父子转让")
    client.force_login(superadmin)

    response = client.get(reverse("admin:villages_household_change", args=[world.a_east.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "测试配股" in body
    assert "父子转让" in body
    assert 'name="share_movements-0-quantity"' not in body
