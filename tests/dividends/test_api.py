"""/api/dividend-runs/: scope from the outside (a user who should see, one who should not),
create and approve through the services, masked lines, and no update or delete."""

from decimal import Decimal

import pytest

from accounts.models import AuditRecord, User
from dividends import run_jobs, services
from dividends.models import DividendRun
from tests import factories

RUNS = "/api/dividend-runs/"
FULL_ACCOUNT = "6228480011112222333"
TONGJIE = {"cooperative": "COOPA", "year": 2026, "total": "561600", "incentive_ratio": "0.2"}


def detail(run, suffix=""):
    return f"{RUNS}{run.pk}/{suffix}"


@pytest.fixture
def computed_run(world, standard, django_capture_on_commit_callbacks):
    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("561600.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs.dividend_run_enqueue(run=run)
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED, run.error
    return run


@pytest.fixture
def approved_run(world, computed_run):
    return services.dividend_run_approve(actor=world.supervisor_a, run=computed_run)


def ids(response):
    return [row["id"] for row in response.json()["results"]]


# Reading


@pytest.mark.parametrize("user_name", ["admin", "accountant_a"])
def test_managers_see_the_run_with_its_pools(world, login, computed_run, user_name):
    client = login(getattr(world, user_name))

    listed = client.get(RUNS)
    one = client.get(detail(computed_run))

    assert ids(listed) == [computed_run.pk]
    assert one.status_code == 200
    data = one.json()
    assert data["cooperative"] == "COOPA"
    assert data["status"] == "computed"
    assert data["base_pool"] == "468000.00"
    assert data["incentive_pool"] == "93600.00"
    assert data["incentive_paid"] == "93600.00"
    assert data["remainder"] == "0.00"
    assert data["household_count"] == 2


def test_another_cooperatives_accountant_gets_404(world, login, computed_run):
    client = login(world.accountant_b)

    assert ids(client.get(RUNS)) == []
    assert client.get(detail(computed_run)).status_code == 404
    assert client.get(detail(computed_run, "lines/")).status_code == 404
    assert client.post(detail(computed_run, "approve/")).status_code == 404
    computed_run.refresh_from_db()
    assert computed_run.status == DividendRun.Status.COMPUTED


def test_community_staff_see_no_run(world, login, approved_run):
    client = login(world.staff_east)

    assert client.get(RUNS).json()["results"] == []
    assert client.get(detail(approved_run)).status_code == 404
    assert client.get(detail(approved_run, "lines/")).status_code == 404


def test_a_villager_does_not_see_a_run_before_approval(world, login, computed_run):
    client = login(world.villager_a)

    assert ids(client.get(RUNS)) == []
    assert client.get(detail(computed_run)).status_code == 404
    assert client.get(detail(computed_run, "lines/")).status_code == 404


def test_a_villager_sees_only_their_own_line_of_an_approved_run(world, login, approved_run):
    client = login(world.villager_a)

    assert ids(client.get(RUNS)) == [approved_run.pk]
    lines = client.get(detail(approved_run, "lines/")).json()
    assert lines["count"] == 1
    (line,) = lines["results"]
    assert line["household_number"] == "A001"
    assert line["household"] == world.a_east.pk
    assert line["bank_account"] == "***************2333"
    assert Decimal(line["total_amount"]) > 0


def test_a_villager_of_another_cooperative_sees_nothing(world, login, approved_run):
    client = login(world.villager_b)

    assert ids(client.get(RUNS)) == []
    assert client.get(detail(approved_run, "lines/")).status_code == 404


def test_lines_are_paginated_and_accounts_masked(world, login, computed_run):
    response = login(world.accountant_a).get(detail(computed_run, "lines/"))

    data = response.json()
    assert data["count"] == 2
    assert [line["household_number"] for line in data["results"]] == ["A001", "A002"]
    assert data["results"][0]["bank_account"] == "***************2333"
    assert data["results"][0]["head_id_number"] == "330482********1234"
    assert sum(Decimal(line["total_amount"]) for line in data["results"]) == Decimal("561600.00")
    assert FULL_ACCOUNT not in response.content.decode()
    assert "330482196501181234" not in response.content.decode()


def test_runs_can_be_filtered(world, login, computed_run):
    client = login(world.admin)

    assert ids(client.get(RUNS, {"cooperative": "COOPA", "year": 2026})) == [computed_run.pk]
    assert ids(client.get(RUNS, {"cooperative": "COOPB"})) == []
    assert ids(client.get(RUNS, {"status": "approved"})) == []


def test_anonymous_is_refused(world, client, computed_run):
    assert client.get(RUNS).status_code in (401, 403)
    assert client.post(RUNS, TONGJIE, content_type="application/json").status_code in (401, 403)


# Creating


def test_an_accountant_creates_and_enqueues_a_run(
    world, login, standard, django_capture_on_commit_callbacks
):
    client = login(world.accountant_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RUNS, TONGJIE, content_type="application/json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["base_pool"] == "468000.00"
    assert data["incentive_pool"] == "93600.00"
    assert data["total"] == "561600.00"
    assert data["policy"] == "score"
    assert data["incentive_mode"] == "ratio_of_base"
    run = DividendRun.objects.get(pk=data["id"])
    assert run.created_by == world.accountant_a
    assert run.status == DividendRun.Status.COMPUTED  # computed when the request committed
    assert client.get(detail(run)).json()["status"] == "computed"
    assert AuditRecord.objects.filter(action="dividend.create", object_id=str(run.pk)).count() == 1


def test_create_with_tiers(world, login, standard, django_capture_on_commit_callbacks):
    payload = {
        **TONGJIE,
        "policy": "tiers",
        "tiers": [
            {"min_score": "90", "share_of_base": "0.2"},
            {"min_score": "60", "share_of_base": "0.05"},
        ],
        "veto": False,
        "record_date": "2026-06-30",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.admin).post(RUNS, payload, content_type="application/json")

    assert response.status_code == 201, response.json()
    assert response.json()["parameters"] == {
        "veto": False,
        "tiers": [
            {"min_score": "60.0", "share_of_base": "0.0500"},
            {"min_score": "90.0", "share_of_base": "0.2000"},
        ],
    }
    assert response.json()["record_date"] == "2026-06-30"


@pytest.mark.parametrize(
    "payload",
    [
        {**TONGJIE, "incentive_pool": "100"},  # two incentive options
        {key: value for key, value in TONGJIE.items() if key != "incentive_ratio"},  # none
        {**TONGJIE, "cooperative": "COOPB"},  # outside the accountant's scope
        {**TONGJIE, "cooperative": "NOPE"},
        {**TONGJIE, "incentive_ratio": None, "incentive_share": "0.3"},  # above the 20% ceiling
        {**TONGJIE, "year": 2030},  # no published standard
        {**TONGJIE, "total": "-1"},
        {**TONGJIE, "policy": "tiers"},  # tiers missing
        {**TONGJIE, "tiers": [{"min_score": "90", "share_of_base": "0.2"}]},  # tiers without policy
        {**TONGJIE, "policy": "lottery"},
    ],
)
def test_invalid_creates_are_refused(world, login, standard, payload):
    response = login(world.accountant_a).post(RUNS, payload, content_type="application/json")

    assert response.status_code == 400, response.json()
    assert not DividendRun.objects.exists()


def test_the_ceiling_can_be_confirmed(world, login, standard, django_capture_on_commit_callbacks):
    payload = {
        **TONGJIE,
        "incentive_ratio": None,
        "incentive_share": "0.3",
        "confirm_ceiling": True,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.accountant_a).post(RUNS, payload, content_type="application/json")

    assert response.status_code == 201
    assert response.json()["incentive_pool"] == "168480.00"


@pytest.mark.parametrize("user_name", ["staff_east", "villager_a"])
def test_only_managers_create_runs(world, login, standard, user_name):
    response = login(getattr(world, user_name)).post(RUNS, TONGJIE, content_type="application/json")

    assert response.status_code == 403
    assert not DividendRun.objects.exists()


# Approving


def test_the_creator_is_refused_and_the_supervisor_approves(world, login, computed_run):
    assert computed_run.created_by == world.accountant_a
    response = login(world.accountant_a).post(detail(computed_run, "approve/"))
    assert response.status_code == 400
    assert "双人审核" in response.json()["detail"][0]
    computed_run.refresh_from_db()
    assert computed_run.status == DividendRun.Status.COMPUTED

    client = login(world.supervisor_a)
    response = client.post(detail(computed_run, "approve/"))

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert (response.json()["created_by"], response.json()["approved_by"]) == ("acc_a", "sup_a")
    assert client.post(detail(computed_run, "approve/")).status_code == 400
    assert AuditRecord.objects.filter(action="dividend.approve").count() == 1


def test_another_accountant_of_the_cooperative_approves(world, login, computed_run):
    colleague = factories.user(
        username="acc_a2", role=User.Role.ACCOUNTANT, cooperative_=world.coop_a
    )
    response = login(colleague).post(detail(computed_run, "approve/"))
    assert response.status_code == 200
    assert response.json()["approved_by"] == "acc_a2"


def test_the_supervisor_reads_runs_and_lines_but_creates_none(world, login, computed_run):
    client = login(world.supervisor_a)
    assert ids(client.get(RUNS)) == [computed_run.pk]
    assert len(client.get(detail(computed_run, "lines/")).json()["results"]) == 2
    response = client.post(RUNS, TONGJIE, content_type="application/json")
    assert response.status_code == 403
    # The other cooperative's supervisor sees nothing and signs nothing.
    other = login(world.supervisor_b)
    assert ids(other.get(RUNS)) == []
    assert other.post(detail(computed_run, "approve/")).status_code == 404


def test_a_new_version_of_an_approved_year_is_refused(world, login, approved_run):
    response = login(world.accountant_a).post(RUNS, TONGJIE, content_type="application/json")
    assert response.status_code == 400
    assert "已审批（第 1 版）" in response.json()["detail"][0]
    assert DividendRun.objects.count() == 1


def test_a_villager_cannot_approve(world, login, approved_run):
    assert login(world.villager_a).post(detail(approved_run, "approve/")).status_code == 403


def test_a_queued_run_cannot_be_approved(world, login, standard):
    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("1000"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )

    response = login(world.supervisor_a).post(detail(run, "approve/"))

    assert response.status_code == 400
    assert "只有已计算的方案才能审批" in response.json()["detail"][0]


# No update, no delete


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_runs_cannot_be_changed_or_deleted(world, login, computed_run, method):
    client = login(world.admin)

    response = getattr(client, method)(
        detail(computed_run), {"total": "1.00"}, content_type="application/json"
    )

    assert response.status_code == 405
    computed_run.refresh_from_db()
    assert computed_run.total == Decimal("561600.00")


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_lines_cannot_be_written(world, login, computed_run, method):
    response = getattr(login(world.admin), method)(
        detail(computed_run, "lines/"), {}, content_type="application/json"
    )

    assert response.status_code == 405


def test_the_schema_lists_the_endpoints(world, login):
    schema = login(world.admin).get("/api/schema/", {"format": "json"}).json()

    assert "/api/dividend-runs/" in schema["paths"]
    assert "/api/dividend-runs/{id}/lines/" in schema["paths"]
    assert "/api/dividend-runs/{id}/approve/" in schema["paths"]
