"""pinghu_points/parameters.py: every bad number is a 400 (API, DRF's error shape) or a 404
(pages), never a 500 (issue 10, finding 5)."""

from decimal import Decimal

import pytest

from accounts.models import AuditRecord
from communities.models import ScoreEvent
from dividends import services
from dividends.models import DividendRun
from pinghu_points.parameters import MAX_ID, IdConverter, parse_id, parse_year
from tests.communities import conftest as points_fixtures

# The published 2026 standard and its items, as in tests/communities.
standard = points_fixtures.standard
items = points_fixtures.items

HUGE = "99999999999999999999"
JUST_ABOVE = str(MAX_ID + 1)


@pytest.fixture
def admin_client(world, client):
    client.raise_request_exception = False
    client.force_login(world.admin)
    return client


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/score-events/?year=0", "year"),
        ("/api/score-events/?year=0.0", "year"),
        ("/api/score-events/?year=0.5", "year"),
        ("/api/score-events/?year=10000", "year"),
        (f"/api/score-events/?year={HUGE}", "year"),
        ("/api/score-events/?month=13", "month"),
        ("/api/score-events/?month=0", "month"),
        (f"/api/score-events/?household={HUGE}", "household"),
        (f"/api/score-events/?household={JUST_ABOVE}", "household"),
        ("/api/score-events/?household=-1", "household"),
        ("/api/dividend-runs/?year=0.5", "year"),
        (f"/api/dividend-runs/?year={HUGE}", "year"),
        ("/api/household-scores/?year=abc", "year"),
        ("/api/household-scores/?year=0", "year"),
    ],
)
def test_a_bad_number_in_an_api_filter_is_a_400_naming_the_parameter(admin_client, url, field):
    response = admin_client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()


def test_good_numbers_still_filter(admin_client, world):
    assert admin_client.get("/api/score-events/?year=2026&month=3").status_code == 200
    response = admin_client.get(f"/api/score-events/?household={world.a_east.pk}")
    assert response.status_code == 200
    assert admin_client.get("/api/dividend-runs/?year=2026.0").status_code == 200


@pytest.mark.parametrize("field", ["household", "item"])
@pytest.mark.parametrize("value", [int(HUGE), MAX_ID + 1, 0])
def test_an_oversized_id_in_a_score_event_batch_is_a_400(admin_client, world, items, field, value):
    entry = {"household": world.a_east.pk, "item": items["clean"].pk, "occurred_on": "2026-03-02"}
    entry[field] = value
    before = ScoreEvent.objects.count(), AuditRecord.objects.count()

    response = admin_client.post(
        "/api/score-events/", {"entries": [entry]}, content_type="application/json"
    )

    assert response.status_code == 400
    assert field in response.json()["entries"]["0"]
    assert (ScoreEvent.objects.count(), AuditRecord.objects.count()) == before


@pytest.mark.parametrize(
    "url",
    [
        f"/villages/households/?grid={HUGE}",
        "/villages/households/?grid=abc",
        f"/villages/households/{HUGE}/",
        f"/villages/households/{JUST_ABOVE}/",
        f"/card/print/?grid={HUGE}",
        f"/api/households/{HUGE}/",
        f"/api/score-events/{JUST_ABOVE}/",
    ],
)
def test_a_bad_id_on_a_page_or_api_route_is_a_404(admin_client, url):
    assert admin_client.get(url).status_code == 404


def test_a_huge_household_id_on_a_statement_is_a_404(admin_client, world, standard):
    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("1000.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )

    for household in (HUGE, JUST_ABOVE):
        response = admin_client.get(f"/dividends/runs/{run.pk}/statement/{household}/")
        assert response.status_code == 404


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), (str(MAX_ID), MAX_ID), (JUST_ABOVE, None), ("0", None), ("-3", None)]
    + [("1.0", None), (" ", None), (None, None), ("١٢", None), ("1e3", None)],
)
def test_parse_id_bounds(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026", 2026), ("2018", 2018), ("2100", 2100), ("2017", None), ("10000", None)],
)
def test_parse_year_bounds(value, expected):
    assert parse_year(value) == expected


def test_the_id_converter_refuses_what_parse_id_refuses():
    converter = IdConverter()
    assert converter.to_python("42") == 42
    for value in ("0", JUST_ABOVE):
        with pytest.raises(ValueError):
            converter.to_python(value)
