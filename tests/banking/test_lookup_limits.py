"""The bank's look-up is no oracle for the hidden digits (issue 20, point 2).

The bank sees only the last four digits of an ID number; look-ups by a full number are
throttled per officer on every channel (session page, session API, HTTP Basic, token), and
a series of misses is refused and flagged to the admin. The staff's household search by a
whole phone / ID number follows the same rule.
"""

import base64

import pytest
from django.urls import reverse

from accounts.models import AuditRecord
from tests.conftest import PASSWORD
from villages.idnumbers import with_check_character

CONSENTING_ID = "330482196501181234"  # a_east's head, who consented (fixture `consent`)


def miss_id(n):
    """A well-formed ID number nobody has: the guesser's next candidate birth date."""
    return with_check_character(f"3304821970{n // 28 + 1:02d}{n % 28 + 1:02d}610")


@pytest.fixture
def limits(settings):
    settings.BANK_LOOKUP_RATE = "8/hour"
    settings.BANK_LOOKUP_MISSES = "3/day"
    return settings


def basic(user):
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


# --- What the bank sees ------------------------------------------------------------------


def test_the_bank_sees_only_the_last_four_digits(consent, client, world):
    client.force_login(world.bank_officer)

    pages = [
        client.get(reverse("banking:home")).content.decode(),
        client.get(reverse("banking:lookup"), {"id_number": CONSENTING_ID}).content.decode(),
        str(client.get("/api/v1/bank/households/").json()),
        str(client.get("/api/v1/bank/lookup/", {"id_number": CONSENTING_ID}).json()),
    ]

    for body in pages:
        # The officer's own typed number may come back in the form; nothing else may.
        body = body.replace(CONSENTING_ID, "")
        assert "**************1234" in body
        assert "330482" not in body and "19650118" not in body


# --- Throttled per officer, every channel -------------------------------------------------


def test_the_officers_page_is_throttled(consent, client, world, limits):
    client.force_login(world.bank_officer)
    answers = [
        client.get(reverse("banking:lookup"), {"id_number": CONSENTING_ID}).status_code
        for _ in range(9)
    ]

    assert answers == [200] * 8 + [429]
    refused = client.get(reverse("banking:lookup"), {"id_number": CONSENTING_ID})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "查询太频繁" in refused.content.decode()
    assert "王建国" not in refused.content.decode()


@pytest.mark.parametrize("channel", ["session", "basic", "token"])
def test_the_api_is_throttled_on_every_channel(consent, client, world, tokens, limits, channel):
    if channel == "session":
        client.force_login(world.bank_officer)
        headers = {}
    elif channel == "basic":
        headers = basic(world.bank_officer)
    else:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['bank'][1]}"}

    answers = [
        client.get("/api/v1/bank/lookup/", {"id_number": CONSENTING_ID}, **headers)
        for _ in range(9)
    ]

    assert [answer.status_code for answer in answers] == [200] * 8 + [429]
    assert answers[-1].json()["code"] == "lookup_throttled"
    assert int(answers[-1]["Retry-After"]) > 0
    assert "households" not in answers[-1].json()


def test_session_and_basic_of_one_officer_share_one_budget(consent, client, world, limits):
    client.force_login(world.bank_officer)
    for _ in range(4):
        assert (
            client.get(reverse("banking:lookup"), {"id_number": CONSENTING_ID}).status_code == 200
        )
    client.logout()
    for _ in range(4):
        answer = client.get(
            "/api/v1/bank/lookup/", {"id_number": CONSENTING_ID}, **basic(world.bank_officer)
        )
        assert answer.status_code == 200

    last = client.get(
        "/api/v1/bank/lookup/", {"id_number": CONSENTING_ID}, **basic(world.bank_officer)
    )
    assert last.status_code == 429


# --- A series of misses is refused and flagged --------------------------------------------


def test_a_series_of_misses_is_refused_even_for_the_right_number(consent, client, world, limits):
    client.force_login(world.bank_officer)
    for n in range(3):
        miss = client.get("/api/v1/bank/lookup/", {"id_number": miss_id(n)})
        assert miss.status_code == 200 and miss.json()["consent"] is False

    right = client.get("/api/v1/bank/lookup/", {"id_number": CONSENTING_ID})

    assert right.status_code == 429
    assert right.json()["code"] == "lookup_blocked"
    assert "已通知街道管理员" in right.json()["detail"]
    assert "households" not in right.json()
    page = client.get(reverse("banking:lookup"), {"id_number": CONSENTING_ID})
    assert page.status_code == 429 and "王建国" not in page.content.decode()


def test_the_block_is_flagged_once_to_the_admin(consent, client, world, tokens, limits):
    key = tokens["bank"][1]
    for n in range(6):
        client.get(
            "/api/v1/bank/lookup/", {"id_number": miss_id(n)}, HTTP_AUTHORIZATION=f"Bearer {key}"
        )

    flags = AuditRecord.objects.filter(action="bank.lookup_blocked")
    assert flags.count() == 1
    assert flags.get().actor_username == "token:bank"
    assert flags.get().details["misses"] == 3
    # The refused attempts looked nothing up.
    assert AuditRecord.objects.filter(action="bank.lookup").count() == 3
    # The admin's home page counts it and links to the records.
    client.force_login(world.admin)
    home = client.get(reverse("home")).content.decode()
    assert 'id="todo-bank-lookup-blocks"' in home
    section = home.split('id="todo-bank-lookup-blocks"', 1)[1].split("</li>", 1)[0]
    assert '<span class="todo-count">1</span>' in section


def test_one_officers_misses_do_not_block_another(consent, client, world, tokens, limits):
    client.force_login(world.bank_officer)
    for n in range(3):
        client.get("/api/v1/bank/lookup/", {"id_number": miss_id(n)})
    client.logout()

    other = client.get(
        "/api/v1/bank/lookup/",
        {"id_number": CONSENTING_ID},
        HTTP_AUTHORIZATION=f"Bearer {tokens['bank'][1]}",
    )

    assert other.status_code == 200 and other.json()["consent"] is True


def test_the_block_ends_when_the_misses_age_out(consent, client, world, limits):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.lookup_limits import lookup_refusal
    from banking.services import BANK_ID_LOOKUP

    client.force_login(world.bank_officer)
    for n in range(3):
        client.get("/api/v1/bank/lookup/", {"id_number": miss_id(n)})
    officer = world.bank_officer

    assert lookup_refusal(limit=BANK_ID_LOOKUP, actor=officer).code == "lookup_blocked"
    later = timezone.now() + timedelta(days=1, minutes=1)
    assert lookup_refusal(limit=BANK_ID_LOOKUP, actor=officer, now=later) is None


def test_the_lookup_schema_documents_429(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert "429" in schema["paths"]["/api/v1/bank/lookup/"]["get"]["responses"]


# --- The staff's search by a whole number -------------------------------------------------


@pytest.fixture
def search_limits(settings):
    settings.HOUSEHOLD_NUMBER_SEARCH_RATE = "100/hour"
    settings.HOUSEHOLD_NUMBER_SEARCH_MISSES = "3/day"
    return settings


@pytest.mark.parametrize("page", ["villages:household_list", "communities:batch_entry"])
def test_guessing_a_phone_in_the_search_is_stopped_and_flagged(world, client, search_limits, page):
    client.force_login(world.staff_east)
    url = reverse(page)
    for guess in ("13800000001", "13800000002", "13800000003"):
        assert client.get(url, {"q": guess}).status_code == 200

    right = client.get(url, {"q": "13800001111"})

    assert right.status_code == 429
    assert "王建国" not in right.content.decode()
    assert AuditRecord.objects.filter(action="household.number_search_blocked").count() == 1
    searches = AuditRecord.objects.filter(action="household.number_search")
    assert [record.details["number"] for record in searches.order_by("pk")][0] == "138****0001"
    # Searching by name or household number is not a guess: still answered.
    assert client.get(url, {"q": "王建国"}).status_code == 200


def test_a_search_that_finds_the_number_is_no_miss(world, client, search_limits):
    client.force_login(world.staff_east)
    for _ in range(5):
        found = client.get(reverse("villages:household_list"), {"q": "138 0000 1111"})
        assert found.status_code == 200 and "王建国" in found.content.decode()

    assert not AuditRecord.objects.filter(action="household.number_search_blocked").exists()
