"""Consent given and withdrawn on the card (villager) or at the desk (staff, with the
signed form's photo); withdrawal at once; everything audited."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import AuditRecord
from banking import selectors, services
from banking.models import Consent


def photo():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return SimpleUploadedFile("授权书.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_villager_gives_and_withdraws_on_the_card(scored, login, world):
    client = login(world.villager_a)
    response = client.post(f"/bank/desk/{world.a_east.pk}/", {"bank": world.bank_officer.bank_id})
    assert response.status_code == 302 and response["Location"] == "/card/"
    consent = Consent.objects.get()
    assert consent.channel == Consent.Channel.CARD and consent.entered_by == world.villager_a
    assert selectors.consenting_households(user=world.bank_officer).get() == world.a_east
    assert AuditRecord.objects.filter(action="bank.consent_given", object_id=consent.pk).exists()

    card = client.get("/card/").content.decode()
    assert "撤回授权" in card
    client.post(f"/bank/consents/{consent.pk}/withdraw/")
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_by == world.villager_a
    # At once: the very next read of the bank finds nothing.
    assert not selectors.consenting_households(user=world.bank_officer).exists()
    assert AuditRecord.objects.filter(action="bank.consent_withdrawn").exists()


def test_villager_cannot_consent_for_another_household(scored, login, world):
    client = login(world.villager_a)
    response = client.post(f"/bank/desk/{world.a_west.pk}/", {"bank": world.bank_officer.bank_id})
    assert response.status_code == 404
    assert not Consent.objects.exists()
    with pytest.raises(PermissionDenied):
        services.consent_give(
            household=world.b_west, bank=world.bank_officer.bank, actor=world.villager_a
        )


def test_villager_cannot_withdraw_another_households_consent(scored, login, world):
    consent = services.consent_give(
        household=world.b_west, bank=world.bank_officer.bank, actor=world.villager_b
    )
    response = login(world.villager_a).post(f"/bank/consents/{consent.pk}/withdraw/")
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_staff_at_the_desk_need_the_signed_form(scored, login, world):
    client = login(world.staff_east)
    url = f"/bank/desk/{world.a_east.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    refused = client.post(url, {"bank": world.bank_officer.bank_id, "starts_on": "2026-01-01"})
    assert refused.status_code == 200 and not Consent.objects.exists()
    accepted = client.post(
        url, {"bank": world.bank_officer.bank_id, "starts_on": "2026-01-01", "form_photo": photo()}
    )
    assert accepted.status_code == 302
    consent = Consent.objects.get()
    assert consent.channel == Consent.Channel.DESK and consent.form_photo.name.startswith(
        "consents/"
    )
    assert "授权书" not in consent.form_photo.name  # stored under a random name
    # The photo is private: staff of the household's community and the villager see it,
    # the bank and other staff do not.
    url = consent.form_photo.url
    assert client.get(url).status_code == 200
    assert login(world.villager_a).get(url).status_code == 200
    assert login(world.staff_west).get(url).status_code == 404
    assert login(world.bank_officer).get(url).status_code == 404


def test_staff_of_another_community_cannot_enter(scored, login, world):
    client = login(world.staff_west)
    assert client.get(f"/bank/desk/{world.a_east.pk}/").status_code == 404


def test_one_open_consent_per_bank(scored, world):
    services.consent_give(
        household=world.a_east, bank=world.bank_officer.bank, actor=world.villager_a
    )
    with pytest.raises(ValidationError):
        services.consent_give(
            household=world.a_east, bank=world.bank_officer.bank, actor=world.villager_a
        )


def test_the_end_is_not_before_the_start(scored, world):
    from datetime import date

    with pytest.raises(ValidationError):
        services.consent_give(
            household=world.a_east,
            bank=world.bank_officer.bank,
            actor=world.villager_a,
            ends_on=date(2000, 1, 1),
        )


def test_the_signed_form_is_served_only_to_the_roles_bank_md_names(scored, login, world):
    """Issue 20, point 11: the cooperative's accountant and supervisor read the register,
    not the household's consent paper; the villager, the desk staff and the admin do."""
    login(world.staff_east).post(
        f"/bank/desk/{world.a_east.pk}/",
        {"bank": world.bank_officer.bank_id, "starts_on": "2026-01-01", "form_photo": photo()},
    )
    url = Consent.objects.get().form_photo.url

    for user in (world.staff_east, world.villager_a, world.admin):
        assert login(user).get(url).status_code == 200, user
    for user in (world.accountant_a, world.supervisor_a, world.bank_officer, world.staff_west):
        assert login(user).get(url).status_code == 404, user
