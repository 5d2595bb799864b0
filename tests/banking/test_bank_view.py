"""The bank sees consenting households only, only the listed fields, nothing after
withdrawal; every look-up is recorded and shown on the card (issue 15)."""

import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from accounts.models import AuditRecord
from banking import selectors, services
from banking.models import BankLookup, Consent, CreditGrade

from .conftest import SECRET_NOTE

BANK_FIELDS = {
    "id",
    "number",
    "head_name",
    "head_id_number",
    "scores",
    "graded_year",
    "grade",
    "amount",
}
# What the bank must never read, of the world's a_east (王建国).
NEVER = ["13800001111", "6228480011112222333", "330482196501181234", SECRET_NOTE, "庭院整洁"]


def test_grade_from_the_table(db):
    grades = list(CreditGrade.objects.order_by("-min_score"))
    assert selectors.grade_for(Decimal("95"), grades).grade == "A"
    assert selectors.grade_for(Decimal("90.0"), grades).grade == "A"
    assert selectors.grade_for(Decimal("89.9"), grades).grade == "B"
    assert selectors.grade_for(Decimal("59.9"), grades) is None
    assert selectors.grade_for(None, grades) is None


def test_bank_sees_nothing_without_consent(scored, login):
    client = login(scored.bank_officer)
    page = client.get("/bank/")
    assert page.status_code == 200
    assert "王建国" not in page.content.decode()
    lookup = client.get("/bank/lookup/", {"id_number": "330482196501181234"})
    assert lookup.status_code == 200
    body = lookup.content.decode()
    assert "王建国" not in body and "A001" not in body
    assert "没有该身份证号户主对本行的有效授权" in body
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/bank/export/").content))
    assert "王建国" not in str([row for row in workbook.active.iter_rows(values_only=True)])


def test_bank_sees_the_listed_fields_with_consent(consent, login):
    client = login(consent.entered_by)  # the villager: not the bank's page
    assert client.get("/bank/").status_code == 403
    officer = consent.bank.officers.get()
    client = login(officer)
    body = client.get("/bank/").content.decode()
    assert "王建国" in body and "A001" in body and "**************1234" in body
    for secret in NEVER:
        assert secret not in body
    lookup = client.get("/bank/lookup/", {"id_number": "330482196501181234"}).content.decode()
    assert "户主已授权本行查询" in lookup and "王建国" in lookup
    # The ID number the officer typed stays in the form; the page adds nothing else.
    for secret in NEVER[:2] + NEVER[3:]:
        assert secret not in lookup
    # Exact match only: a prefix or another number is not a look-up of this head.
    partial = client.get("/bank/lookup/", {"id_number": "33048219650118123"}).content.decode()
    assert "王建国" not in partial


def test_the_score_and_grade_of_the_row(consent):
    officer = consent.bank.officers.get()
    rows = selectors.bank_rows(households=selectors.consenting_households(user=officer))
    assert [row.number for row in rows] == ["A001"]
    row = rows[0]
    year = timezone.localdate().year
    assert sorted(row.scores) == [year - 2, year - 1, year]
    # 2026: base 80 + 5 for the clean yard = 85 -> B in the example table (≥ 80).
    if year == 2026:
        assert row.scores[2026] == Decimal("85")
        assert (row.grade, row.amount, row.graded_year) == ("B", Decimal("200000.00"), 2026)


def test_nothing_after_withdrawal(consent, login, world):
    services.consent_withdraw(consent=consent, actor=world.villager_a)
    client = login(world.bank_officer)
    assert "王建国" not in client.get("/bank/").content.decode()
    lookup = client.get("/bank/lookup/", {"id_number": "330482196501181234"}).content.decode()
    assert "王建国" not in lookup
    assert selectors.consenting_households(user=world.bank_officer).count() == 0


def test_consent_outside_its_dates_shows_nothing(scored, world):
    today = timezone.localdate()
    services.consent_give(
        household=world.a_east,
        bank=world.bank_officer.bank,
        actor=world.staff_east,
        starts_on=today + timedelta(days=1),
        form_photo=_photo(),
    )
    assert selectors.consenting_households(user=world.bank_officer).count() == 0
    Consent.objects.update(starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=1))
    assert selectors.consenting_households(user=world.bank_officer).count() == 0


def test_consent_to_another_bank_is_not_this_banks(scored, world):
    from banking.models import Bank

    other = Bank.objects.create(code="OTHER", name="另一家银行")
    services.consent_give(household=world.a_east, bank=other, actor=world.villager_a)
    assert selectors.consenting_households(user=world.bank_officer).count() == 0


def test_every_look_up_is_recorded_and_shown_on_the_card(consent, login, world):
    client = login(world.bank_officer)
    client.get("/bank/lookup/", {"id_number": "330482196501181234"})
    record = AuditRecord.objects.filter(action="bank.lookup").get()
    assert record.actor == world.bank_officer
    assert record.details["households"] == [world.a_east.pk]
    assert record.details["id_number"] == "330482********1234"
    # A look-up that finds nothing is recorded too.
    client.get("/bank/lookup/", {"id_number": "330482196501089999"})
    assert AuditRecord.objects.filter(action="bank.lookup").count() == 2
    client.get("/bank/")
    assert AuditRecord.objects.filter(action="bank.list").exists()
    looked = BankLookup.objects.filter(household=world.a_east).order_by("-at").first()
    card = login(world.villager_a).get("/card/").content.decode()
    assert "银行最近一次查看" in card
    assert timezone.localtime(looked.at).strftime("%Y-%m-%d %H:%M") in card


def test_the_card_says_the_bank_never_looked(scored, login, world):
    card = login(world.villager_a).get("/card/").content.decode()
    assert "银行还没有查看过本户" in card
    assert "本户没有授权任何银行查询积分" in card


def test_consenting_list_download_is_formula_safe(consent, login, world):
    world.a_east.number = "=HYPERLINK(1)"
    world.a_east.save()
    response = login(world.bank_officer).get("/bank/export/")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [value for row in sheet.iter_rows(values_only=True) for value in row]
    assert "'=HYPERLINK(1)" in values
    assert "王建国" in values and "**************1234" in values
    assert not any(isinstance(v, str) and v in NEVER for v in values)
    assert AuditRecord.objects.filter(action="bank.export").exists()


@pytest.mark.parametrize("role", ["villager_a", "staff_east", "accountant_a", "admin"])
def test_nobody_else_reaches_the_bank_pages(world, login, role):
    client = login(getattr(world, role))
    for url in ("/bank/", "/bank/lookup/", "/bank/export/"):
        assert client.get(url).status_code == 403, url


def test_bank_officer_reaches_no_register(consent, login, world):
    client = login(world.bank_officer)
    assert client.get(f"/villages/households/{world.a_east.pk}/").status_code in (403, 404)
    assert client.get(f"/card/{world.a_east.pk}/").status_code == 404
    assert client.get("/").status_code == 302


def _photo():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return SimpleUploadedFile("form.jpg", buffer.getvalue(), content_type="image/jpeg")
