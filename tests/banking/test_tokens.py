"""API v1 with tokens: stored hashed, scoped, refused at once when revoked, throttled per
token; the bank's endpoints; the old /api/ paths deprecated (issue 15)."""

import hashlib

import pytest
from django.core.cache import caches
from rest_framework.settings import api_settings

from accounts.models import AuditRecord
from banking import services
from banking.models import ApiToken

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


def test_only_the_hash_is_stored(tokens):
    token, key = tokens["bank"]
    assert key.startswith("ph_") and len(key) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert AuditRecord.objects.filter(action="api_token.created", object_id=token.pk).exists()


def test_a_user_token_has_its_users_scope(scored, tokens, api, world):
    _, key = tokens["east"]
    mine = api(f"/api/v1/households/{world.a_east.pk}/", key)
    assert mine.status_code == 200
    assert api(f"/api/v1/households/{world.a_west.pk}/", key).status_code == 404
    numbers = {row["number"] for row in api("/api/v1/households/", key).json()["results"]}
    assert numbers == {"A001", "B001"}
    # A staff token never reaches the bank's endpoints.
    assert api("/api/v1/bank/households/", key).status_code == 403
    assert api("/api/v1/bank/lookup/", key, id_number="330482196501181234").status_code == 403


def test_a_villager_token_reads_its_own_card_only(scored, tokens, api, world):
    _, key = tokens["villager"]
    own = api(f"/api/v1/household-scores/{world.a_east.pk}/", key)
    assert own.status_code == 200 and own.json()["number"] == "A001"
    assert api(f"/api/v1/household-scores/{world.b_east.pk}/", key).status_code == 404


def test_a_bank_token_reaches_no_register(consent, tokens, api, world):
    _, key = tokens["bank"]
    for path in ("households", "score-events", "household-scores", "cooperatives", "dividend-runs"):
        response = api(f"/api/v1/{path}/", key)
        assert response.status_code == 200 and response.json()["count"] == 0, path
    assert api(f"/api/v1/households/{world.a_east.pk}/", key).status_code == 404
    assert api(f"/api/v1/score-events/?household={world.a_east.pk}", key).json()["count"] == 0


def test_the_bank_token_sees_the_listed_fields_only(consent, tokens, api, world):
    _, key = tokens["bank"]
    rows = api("/api/v1/bank/households/", key).json()["results"]
    assert [row["number"] for row in rows] == ["A001"]
    assert set(rows[0]) == BANK_FIELDS
    assert rows[0]["head_id_number"] == "**************1234"
    detail = api(f"/api/v1/bank/households/{world.a_east.pk}/", key)
    assert detail.status_code == 200 and set(detail.json()) == BANK_FIELDS
    assert api(f"/api/v1/bank/households/{world.b_east.pk}/", key).status_code == 404
    lookup = api("/api/v1/bank/lookup/", key, id_number="330482196501181234").json()
    assert lookup["consent"] is True and lookup["households"][0]["number"] == "A001"
    other = api("/api/v1/bank/lookup/", key, id_number="330482196501089999").json()
    assert other == {"consent": False, "households": []}
    assert api("/api/v1/bank/lookup/", key, id_number="3304").status_code == 400
    grades = api("/api/v1/bank/grades/", key).json()
    assert [grade["grade"] for grade in grades] == ["A", "B", "C", "D"]
    # Audited with the token's name; the card's "last looked" is set.
    record = AuditRecord.objects.filter(action="bank.lookup").first()
    assert record.actor is None and record.actor_username == "token:bank"
    assert world.a_east.bank_lookups.exists()


def test_bank_endpoints_filter_and_order(consent, tokens, api, world):
    services.consent_give(
        household=world.b_west, bank=world.bank_officer.bank, actor=world.villager_b
    )
    _, key = tokens["bank"]
    rows = api("/api/v1/bank/households/", key, ordering="-number").json()["results"]
    assert [row["number"] for row in rows] == ["B002", "A001"]
    rows = api("/api/v1/bank/households/", key, number="B002").json()["results"]
    assert [row["number"] for row in rows] == ["B002"]


def test_nothing_after_withdrawal_through_the_api(consent, tokens, api, world):
    _, key = tokens["bank"]
    services.consent_withdraw(consent=consent, actor=world.villager_a)
    assert api("/api/v1/bank/households/", key).json()["count"] == 0
    assert api(f"/api/v1/bank/households/{world.a_east.pk}/", key).status_code == 404
    lookup = api("/api/v1/bank/lookup/", key, id_number="330482196501181234").json()
    assert lookup == {"consent": False, "households": []}


def test_a_revoked_token_is_refused_at_once(tokens, api, world):
    token, key = tokens["east"]
    assert api("/api/v1/households/", key).status_code == 200
    services.api_token_revoke(token=token, actor=world.admin)
    response = api("/api/v1/households/", key)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert AuditRecord.objects.filter(action="api_token.revoked").exists()


def test_a_token_of_an_inactive_user_is_refused(tokens, api, world):
    _, key = tokens["east"]
    world.staff_east.is_active = False
    world.staff_east.save()
    assert api("/api/v1/households/", key).status_code == 401


def test_an_unknown_token_is_refused(db, api):
    assert api("/api/v1/households/", "ph_not-a-token").status_code == 401
    assert api("/api/v1/households/").status_code == 401  # anonymous: told how to authenticate


def test_last_used_is_recorded(tokens, api):
    token, key = tokens["east"]
    assert token.last_used_at is None
    api("/api/v1/households/", key)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_throttled_per_token(tokens, api, monkeypatch):
    from pinghu_points.api_auth import TokenRateThrottle

    caches["throttle"].clear()
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})
    _, east = tokens["east"]
    _, villager = tokens["villager"]
    assert [api("/api/v1/households/", east).status_code for _ in range(4)] == [200] * 3 + [429]
    # Another token has its own allowance.
    assert api("/api/v1/households/", villager).status_code == 200
    caches["throttle"].clear()


def test_the_rate_is_configured():
    assert "token" in api_settings.DEFAULT_THROTTLE_RATES


def test_tokens_do_not_open_the_old_paths(tokens, api):
    _, key = tokens["east"]
    assert api("/api/households/", key).status_code == 403


def test_the_old_paths_keep_working_and_are_deprecated(world, login):
    response = login(world.staff_east).get("/api/households/")
    assert response.status_code == 200
    assert response["Deprecation"] == "true"
    assert response["Link"] == '</api/v1/households/>; rel="successor-version"'
    v1 = login(world.staff_east).get("/api/v1/households/")
    assert v1.status_code == 200 and "Deprecation" not in v1
    assert v1.json()["results"] == response.json()["results"]


@pytest.mark.parametrize("path", ["/api/households/", "/api/score-events/"])
def test_the_schema_marks_the_old_paths_deprecated(world, login, path):
    schema = login(world.admin).get("/api/schema/", {"format": "json"}).json()
    for operation in schema["paths"][path].values():
        assert operation["deprecated"] is True
    v1 = schema["paths"]["/api/v1/" + path.removeprefix("/api/")]
    assert all("deprecated" not in operation for operation in v1.values())
    # 401 and 429 only where the API can answer them: v1 (token first, throttled).
    assert "401" in v1["get"]["responses"] and "429" in v1["get"]["responses"]
    assert "401" not in schema["paths"][path]["get"]["responses"]
    assert "429" not in schema["paths"][path]["get"]["responses"]


def test_staff_token_records_a_batch_without_a_session(scored, tokens, client, world, items):
    _, key = tokens["east"]
    body = {
        "entries": [
            {"household": world.a_east.pk, "item": items["clean"].pk, "occurred_on": "2026-04-02"}
        ]
    }
    response = client.post(
        "/api/v1/score-events/",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.content
    assert response.json()[0]["household"] == world.a_east.pk
    # Out of the token's scope: refused, nothing saved.
    body["entries"][0]["household"] = world.a_west.pk
    refused = client.post(
        "/api/v1/score-events/",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert refused.status_code in (400, 403)
    assert not world.a_west.score_events.exists()


def test_the_admin_creates_a_token_and_sees_the_key_once(world, login):
    world.admin.is_superuser = True  # as seed_demo creates the subdistrict admin
    world.admin.save()
    client = login(world.admin)
    response = client.post(
        "/admin/banking/apitoken/add/",
        {"name": "农商行系统", "scope": "bank", "bank": world.bank_officer.bank_id},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="农商行系统")
    shown = [str(message) for message in response.context["messages"]]
    key = next(text.split("：")[-1] for text in shown if "只显示这一次" in text)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    # Never shown again: the token's page does not carry the key.
    page = client.get(f"/admin/banking/apitoken/{token.pk}/change/").content.decode()
    assert key not in page
    # Revoked by the admin action.
    client.post(
        "/admin/banking/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_bank_token_needs_a_bank(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.api_token_create(name="x", scope=ApiToken.Scope.BANK, actor=world.admin)
