"""The accountant pages of the annual dividend run, from the outside."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditRecord
from communities.models import ScoreEvent, ScoringStandard, StandardAdoption
from dividends import run_jobs, services
from dividends.models import DividendRun
from tests import factories
from tests.dividends.test_exports import read
from tests.test_i18n import english_words
from villages.models import Household

YEAR = 2026


@pytest.fixture
def make_run(world, standard, django_capture_on_commit_callbacks):
    """Create a run of cooperative A through the service and compute it (eager, at commit)."""

    def _make(
        *,
        year=YEAR,
        total="1000.00",
        mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        value="0.2",
        policy=DividendRun.Policy.SCORE,
        compute=True,
        parameters=None,
        cooperative=None,
        actor=None,
    ):
        run = services.dividend_run_create(
            actor=actor or world.accountant_a,
            cooperative=cooperative or world.coop_a,
            year=year,
            total=Decimal(total),
            incentive_mode=mode,
            incentive_value=Decimal(value),
            policy=policy,
            parameters=parameters,
        )
        if compute:
            with django_capture_on_commit_callbacks(execute=True):
                run_jobs.dividend_run_enqueue(run=run)
            run.refresh_from_db()
            assert run.status == DividendRun.Status.COMPUTED, run.error
        return run

    return _make


def run_urls(run, household):
    return [
        reverse("dividends:run_detail", args=[run.pk]),
        reverse("dividends:run_progress", args=[run.pk]),
        reverse("dividends:run_lines", args=[run.pk]),
        reverse("dividends:run_export", args=[run.pk, "bank", "xlsx"]),
        reverse("dividends:run_export", args=[run.pk, "notice", "csv"]),
        reverse("dividends:statement", args=[run.pk, household.pk]),
    ]


def post_urls(run):
    return [
        reverse("dividends:run_approve", args=[run.pk]),
        reverse("dividends:run_recompute", args=[run.pk]),
    ]


def form_data(world, **overrides):
    data = {
        "cooperative": world.coop_a.pk,
        "year": YEAR,
        "record_date": "",
        "total": "561600.00",
        "incentive_mode": "ratio_of_base",
        "incentive_value": "0.2",
        "policy": "score",
        "min_score": "",
        "veto": "on",
    }
    data.update(overrides)
    return data


# --- Scope, from the outside, as the wrong user ----------------------------------------------


def test_anonymous_is_sent_to_login_everywhere(client, make_run, world):
    run = make_run()
    urls = [
        reverse("dividends:run_list"),
        reverse("dividends:run_create"),
        reverse("dividends:pools_preview") + "?total=1&incentive_mode=fixed&incentive_value=0",
        *run_urls(run, world.a_east),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("accounts:login")), url
    for url in post_urls(run):
        response = client.post(url)
        assert response.status_code == 302 and "login" in response.url, url
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED


@pytest.mark.parametrize("user_name", ["staff_east", "staff_west", "villager_b"])
def test_staff_and_villagers_are_refused(login, make_run, world, user_name):
    run = make_run()
    client = login(getattr(world, user_name))
    urls = [
        reverse("dividends:run_list"),
        reverse("dividends:run_create"),
        reverse("dividends:pools_preview") + "?total=1&incentive_mode=fixed&incentive_value=0",
        *run_urls(run, world.a_east)[:-1],
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    for url in post_urls(run):
        assert client.post(url).status_code == 403, url
    assert client.post(reverse("dividends:run_create"), form_data(world)).status_code == 403
    assert DividendRun.objects.count() == 1


def test_accountant_of_another_cooperative_gets_404(login, make_run, world):
    run = make_run()
    client = login(world.accountant_b)
    for url in run_urls(run, world.a_east):
        assert client.get(url).status_code == 404, url
    for url in post_urls(run):
        assert client.post(url).status_code == 404, url
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED
    assert DividendRun.objects.count() == 1
    # The list shows only cooperative B's runs; the form offers only cooperative B.
    body = client.get(reverse("dividends:run_list")).content.decode()
    assert f'id="run-{run.pk}"' not in body
    form = client.get(reverse("dividends:run_create")).context["form"]
    assert list(form.fields["cooperative"].queryset) == [world.coop_b]
    response = client.post(reverse("dividends:run_create"), form_data(world))
    assert response.status_code == 200
    assert "cooperative" in response.context["form"].errors
    assert DividendRun.objects.count() == 1


@pytest.mark.parametrize("user_name", ["accountant_a", "admin"])
def test_accountant_and_admin_see_every_page(login, make_run, world, user_name):
    run = make_run()
    client = login(getattr(world, user_name))
    assert client.get(reverse("dividends:run_list")).status_code == 200
    assert client.get(reverse("dividends:run_create")).status_code == 200
    for url in run_urls(run, world.a_east):
        assert client.get(url).status_code == 200, url


def test_menu_has_dividends_for_accountants_and_admins_only(login, world):
    url = reverse("dividends:run_list")
    for user_name, shown in [
        ("accountant_a", True),
        ("admin", True),
        ("staff_east", False),
        ("villager_a", False),
    ]:
        body = login(getattr(world, user_name)).get(reverse("home")).content.decode()
        assert (f'href="{url}"' in body) is shown, user_name


def test_villager_sees_own_statement_of_an_approved_run_only(login, make_run, world):
    run = make_run()
    own = reverse("dividends:statement", args=[run.pk, world.a_east.pk])
    neighbour = reverse("dividends:statement", args=[run.pk, world.a_west.pk])
    villager = login(world.villager_a)
    assert villager.get(own).status_code == 404  # computed, not approved yet
    services.dividend_run_approve(actor=world.supervisor_a, run=run)
    assert villager.get(own).status_code == 200
    assert villager.get(neighbour).status_code == 404
    assert login(world.villager_b).get(own).status_code == 404
    assert login(world.staff_east).get(own).status_code == 403


def test_unknown_export_kind_or_format_is_404(login, make_run, world):
    run = make_run()
    client = login(world.accountant_a)
    assert client.get(f"/dividends/runs/{run.pk}/export/secret.xlsx").status_code == 404
    assert client.get(f"/dividends/runs/{run.pk}/export/bank.pdf").status_code == 404


# --- Create, with the preview ---------------------------------------------------------------


def test_preview_uses_the_service_rule_tongjie_figures(login, world, standard):
    client = login(world.accountant_a)
    response = client.get(
        reverse("dividends:pools_preview"),
        {"total": "561600.00", "incentive_mode": "ratio_of_base", "incentive_value": "0.2"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "total": "561600.00",
        "base_pool": "468000.00",
        "incentive_pool": "93600.00",
        "base_pool_text": "468,000.00",
        "incentive_pool_text": "93,600.00",
        "incentive_percent": "16.67",
        "ceiling": "112320.00",
        "over_ceiling": False,
    }
    over = client.get(
        reverse("dividends:pools_preview"),
        {"total": "1000", "incentive_mode": "share_of_total", "incentive_value": "0.25"},
    ).json()
    assert over["incentive_pool"] == "250.00" and over["over_ceiling"] is True
    bad = client.get(
        reverse("dividends:pools_preview"),
        {"total": "1000", "incentive_mode": "fixed", "incentive_value": "2000"},
    )
    assert bad.status_code == 400 and "不能超过" in bad.json()["error"]
    assert client.get(reverse("dividends:pools_preview"), {"total": "x"}).status_code == 400


def test_create_computes_and_redirects_to_the_run(
    login, world, standard, django_capture_on_commit_callbacks
):
    client = login(world.accountant_a)
    form = client.get(reverse("dividends:run_create")).context["form"]
    assert list(form.fields["cooperative"].queryset) == [world.coop_a]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dividends:run_create"), form_data(world))

    run = DividendRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("dividends:run_detail", args=[run.pk])
    assert (run.base_pool, run.incentive_pool) == (Decimal("468000.00"), Decimal("93600.00"))
    assert run.record_date == date(YEAR, 12, 31)
    assert run.version == 1 and run.created_by == world.accountant_a
    assert run.parameters == {"min_score": None, "veto": True}
    assert run.ceiling_confirmed is False
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED, run.error
    assert run.household_count == 2

    body = client.get(response.url).content.decode()
    assert "468,000.00" in body and "93,600.00" in body and "16.67%" in body


def test_create_with_tiers_and_a_threshold(
    login, world, standard, django_capture_on_commit_callbacks
):
    client = login(world.accountant_a)
    data = form_data(
        world,
        policy="tiers",
        min_score="60",
        veto="",
        record_date="2026-06-30",
        tier_min_0="90",
        tier_share_0="0.20",
        tier_min_1="60",
        tier_share_1="0.05",
        tier_min_2="80",
        tier_share_2="0.10",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dividends:run_create"), data)
    assert response.status_code == 302
    run = DividendRun.objects.get()
    assert run.record_date == date(2026, 6, 30)
    assert run.parameters == {
        "min_score": "60",
        "veto": False,
        "tiers": [  # sorted by score, as entered
            {"min_score": "60", "share_of_base": "0.05"},
            {"min_score": "80", "share_of_base": "0.10"},
            {"min_score": "90", "share_of_base": "0.20"},
        ],
    }


def test_create_shows_the_services_errors_on_the_form(login, world, standard):
    client = login(world.accountant_a)
    # Tiers whose share falls as the score rises are refused by the service.
    data = form_data(
        world,
        policy="tiers",
        tier_min_0="90",
        tier_share_0="0.05",
        tier_min_1="60",
        tier_share_1="0.20",
        tier_min_2="",
        tier_share_2="",
    )
    response = client.post(reverse("dividends:run_create"), data)
    assert response.status_code == 200
    assert "分配参数不正确" in response.content.decode()
    # No standard for 2019: nothing to score the incentive by.
    response = client.post(reverse("dividends:run_create"), form_data(world, year=2019))
    assert "没有已发布的积分标准" in response.content.decode()
    # Half a tier row.
    response = client.post(
        reverse("dividends:run_create"), form_data(world, tier_min_3="50", tier_share_3="")
    )
    assert "每一档须同时填写分数和比例" in response.content.decode()
    assert DividendRun.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("total", {"total": "100.001"}),
        ("incentive_value", {"incentive_mode": "fixed", "incentive_value": "10.005"}),
        ("incentive_value", {"incentive_value": "0.123456"}),
    ],
)
def test_the_form_refuses_money_inputs_with_the_services_message(
    login, world, standard, field, overrides
):
    """Issue 9 finding 3: one check for the form, the API and the command."""
    client = login(world.accountant_a)
    response = client.post(reverse("dividends:run_create"), form_data(world, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    with pytest.raises(ValidationError) as refused:
        services.validate_money_inputs(
            total=Decimal(overrides.get("total", "561600.00")),
            incentive_mode=overrides.get("incentive_mode", "ratio_of_base"),
            incentive_value=Decimal(overrides.get("incentive_value", "0.2")),
        )
    assert errors[field] == refused.value.message_dict[field]
    assert DividendRun.objects.count() == 0
    preview = client.get(
        reverse("dividends:pools_preview"),
        {"total": "561600", "incentive_mode": "ratio_of_base", "incentive_value": "0.2"}
        | overrides,
    )
    assert preview.status_code == 400


def test_ceiling_needs_an_explicit_confirmation(
    login, world, standard, django_capture_on_commit_callbacks
):
    client = login(world.accountant_a)
    data = form_data(
        world, total="1000.00", incentive_mode="share_of_total", incentive_value="0.25"
    )

    response = client.post(reverse("dividends:run_create"), data)

    assert response.status_code == 200
    body = response.content.decode()
    assert "超过可分配总额的20%" in body
    assert 'id="ceiling-box" hidden' not in body  # the confirmation is shown
    assert DividendRun.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dividends:run_create"), {**data, "ceiling_confirmed": "on"})
    run = DividendRun.objects.get()
    assert response.status_code == 302
    assert run.ceiling_confirmed is True and run.incentive_pool == Decimal("250.00")
    body = client.get(response.url).content.decode()
    assert "超过 20% 的公开上限" in body and "25.00%" in body


def test_confirmation_below_the_ceiling_is_not_recorded(
    login, world, standard, django_capture_on_commit_callbacks
):
    client = login(world.accountant_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dividends:run_create"), form_data(world, ceiling_confirmed="on"))
    assert DividendRun.objects.get().ceiling_confirmed is False
    assert 'id="ceiling-box" hidden' in client.get(reverse("dividends:run_create")).content.decode()


# --- Progress, reconciliation, score flags, recompute ---------------------------------------


def test_progress_endpoint(login, make_run, world):
    client = login(world.accountant_a)
    run = make_run(compute=False)
    url = reverse("dividends:run_progress", args=[run.pk])

    data = client.get(url).json()
    assert data.pop("stalled").startswith("任务队列暂时无法连接，任务还没有发出。")
    assert data == {
        "status": "queued",
        "status_label": "排队中",
        "progress": 0,
        "error": "",
        "done": False,
        # Never sent to the job queue: "重新计算" is offered.
        "can_retry": True,
    }
    page = client.get(reverse("dividends:run_detail", args=[run.pk])).content.decode()
    assert 'data-done="0"' in page and 'aria-valuenow="0"' in page

    DividendRun.objects.filter(pk=run.pk).update(
        status="running", progress=45, task_id="t-1", heartbeat_at=timezone.now()
    )
    data = client.get(url).json()
    assert (data["progress"], data["can_retry"]) == (45, False)

    DividendRun.objects.filter(pk=run.pk).update(status="failed", error="数据库不可用")
    data = client.get(url).json()
    assert data["done"] is True and data["error"] == "数据库不可用" and data["can_retry"]

    computed = make_run()
    data = client.get(reverse("dividends:run_progress", args=[computed.pk])).json()
    assert (data["status"], data["progress"], data["done"]) == ("computed", 100, True)
    page = client.get(reverse("dividends:run_detail", args=[computed.pk])).content.decode()
    assert 'data-done="1"' in page and 'aria-valuenow="100"' in page


def test_reconciliation_adds_up(login, make_run, world, items):
    # A vetoed household gets no incentive, so part of the pool remains with the cooperative.
    ScoreEvent.objects.create(
        household=world.a_west,
        item=items["crime"],
        points=Decimal("-20"),
        occurred_on=date(YEAR, 3, 1),
        community=world.west,
        entered_by=world.staff_west,
    )
    run = make_run(
        policy=DividendRun.Policy.TIERS,
        parameters={"tiers": [{"min_score": "60", "share_of_base": "0.10"}]},
    )
    response = login(world.accountant_a).get(reverse("dividends:run_detail", args=[run.pk]))

    reconciliation = response.context["reconciliation"]
    assert reconciliation.ok
    assert reconciliation.base_sum == run.base_pool == Decimal("833.33")
    assert reconciliation.incentive_sum == run.incentive_paid
    assert reconciliation.remainder == run.incentive_pool - run.incentive_paid > 0
    assert reconciliation.total_sum + reconciliation.remainder == run.total
    assert all(check.ok for check in reconciliation.checks)
    assert "✓ 全部相符" in response.content.decode()


def test_score_flags_after_a_late_event_and_recompute_as_version_2(
    login, make_run, world, items, django_capture_on_commit_callbacks
):
    run = make_run()
    client = login(world.accountant_a)
    detail = reverse("dividends:run_detail", args=[run.pk])
    assert client.get(detail).context["differences"] == []

    ScoreEvent.objects.create(
        household=world.a_east,
        item=items["clean"],
        points=Decimal("5"),
        occurred_on=date(YEAR, 11, 1),
        community=world.east,
        entered_by=world.staff_east,
    )
    response = client.get(detail)
    differences = response.context["differences"]
    assert [(d.line.household_number, d.line.score, d.ledger_score) for d in differences] == [
        ("A001", Decimal("80.0"), Decimal("85"))
    ]
    body = response.content.decode()
    assert f'id="flag-{world.a_east.pk}"' in body and "recompute-button" in body

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dividends:run_recompute", args=[run.pk]))

    second = DividendRun.objects.get(version=2)
    assert response.url == reverse("dividends:run_detail", args=[second.pk])
    second.refresh_from_db()
    assert second.status == DividendRun.Status.COMPUTED, second.error
    assert second.lines.get(household=world.a_east).score == Decimal("85")
    assert (second.total, second.policy) == (run.total, run.policy)
    assert client.get(response.url).context["differences"] == []
    assert len(client.get(detail).context["differences"]) == 1  # v1 keeps its numbers


# --- Approval -------------------------------------------------------------------------------


def approve_url(run):
    return reverse("dividends:run_approve", args=[run.pk])


def test_approve_freezes_and_only_one_version_of_a_year_can_be_approved(login, make_run, world):
    first, second = make_run(), make_run()
    assert second.version == 2
    client = login(world.supervisor_a)

    response = client.post(approve_url(first), {"confirm": "on"}, follow=True)

    first.refresh_from_db()
    assert first.status == DividendRun.Status.APPROVED and first.approved_by == world.supervisor_a
    body = response.content.decode()
    assert "已审批，方案已冻结" in body
    assert "approve-button" not in body and "recompute-button" not in body

    response = client.post(approve_url(second), {"confirm": "on"}, follow=True)
    assert "2026 年已有审批通过的分红方案" in response.content.decode()
    second.refresh_from_db()
    assert second.status == DividendRun.Status.COMPUTED
    # The other version of the approved year offers neither approval nor a new version.
    body = login(world.accountant_a).get(reverse("dividends:run_detail", args=[second.pk]))
    body = body.content.decode()
    assert 'id="year-approved"' in body
    assert "approve-button" not in body and "recompute-button" not in body

    response = client.post(approve_url(first), {"confirm": "on"}, follow=True)
    assert "本方案已审批" in response.content.decode()
    # An approved run cannot be recomputed from its page either.
    client = login(world.accountant_a)
    response = client.post(reverse("dividends:run_recompute", args=[first.pk]), follow=True)
    assert "已冻结，不能再创建新版本" in response.content.decode()
    response = client.post(reverse("dividends:run_recompute", args=[second.pk]), follow=True)
    assert "已冻结，不能再创建新版本" in response.content.decode()
    assert DividendRun.objects.count() == 2
    assert AuditRecord.objects.filter(action="dividend.approve").count() == 1


def test_the_approval_page_approves_nothing_by_itself(login, make_run, world):
    run = make_run()
    response = login(world.supervisor_a).get(approve_url(run))
    assert response.status_code == 200
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED


# --- Statement ------------------------------------------------------------------------------


def test_statement_reprints_the_snapshot_after_the_register_changed(login, make_run, world):
    run = make_run()
    services.dividend_run_approve(actor=world.supervisor_a, run=run)
    line = run.lines.get(household=world.a_east)
    Household.objects.filter(pk=world.a_east.pk).update(
        head_name="王新名", bank_account="6200000000000009999"
    )

    url = reverse("dividends:statement", args=[run.pk, world.a_east.pk])
    for user in (world.accountant_a, world.villager_a):
        body = login(user).get(url).content.decode()
        assert "王建国" in body and "王新名" not in body
        assert "***************2333" in body and "9999" not in body
        for text in ("A001", "人口股", str(line.base_amount), str(line.total_amount), "sup_a"):
            assert text in body
        assert "甲村股份经济合作社" in body and "2026-12-31" in body


# --- Lines: search, sort, last year, query bounds -------------------------------------------


def test_lines_search_and_sort_whitelist(login, make_run, world):
    run = make_run()
    client = login(world.accountant_a)
    url = reverse("dividends:run_lines", args=[run.pk])

    def numbers(**params):
        return [row["line"].household_number for row in client.get(url, params).context["rows"]]

    assert numbers() == ["A001", "A002"]
    assert numbers(q="A002") == ["A002"]
    assert numbers(q="王建国") == ["A001"]
    assert numbers(q="nobody") == []
    assert numbers(sort="-number") == ["A002", "A001"]
    assert numbers(sort="total") == ["A002", "A001"]
    assert numbers(sort="-base") == ["A001", "A002"]
    # Unknown or unlisted sort keys are ignored: the default order by household number.
    assert numbers(sort="-household_id") == ["A001", "A002"]
    assert numbers(sort="bank_account") == ["A001", "A002"]
    assert client.get(url, {"sort": "head_id_number"}).context["sort"] == "number"
    body = client.get(url).content.decode()
    assert "***************2333" in body and "6228480011112222333" not in body
    assert "330482********1234" in body


def _standard_for(year, cooperative):
    standard = ScoringStandard.objects.create(
        town=factories.town(),
        name=f"{year}标准",
        year=year,
        base_points=Decimal("80"),
        status=ScoringStandard.Status.PUBLISHED,
    )
    StandardAdoption.objects.create(
        standard=standard, cooperative=cooperative, meeting_date=date(year, 1, 15), votes_for=40
    )


def test_lines_compare_with_last_years_approved_run(login, make_run, world):
    _standard_for(YEAR - 1, world.coop_a)
    last = make_run(year=YEAR - 1, total="500.00")
    make_run(year=YEAR - 1, total="9999.00")  # a later, unapproved version is not compared
    services.dividend_run_approve(actor=world.supervisor_a, run=last)
    newcomer = factories.household(
        cooperative_=world.coop_a, community_=world.east, number="A003", shares={"RK": "1"}
    )
    run = make_run(total="1200.00")
    client = login(world.accountant_a)

    rows = client.get(reverse("dividends:run_lines", args=[run.pk])).context["rows"]
    by_number = {row["line"].household_number: row for row in rows}
    for number in ("A001", "A002"):
        this_year = run.lines.get(household_number=number).total_amount
        previous = last.lines.get(household_number=number).total_amount
        assert by_number[number]["difference"] == this_year - previous
    assert by_number["A003"]["difference"] is None
    body = client.get(reverse("dividends:run_lines", args=[run.pk])).content.decode()
    assert "新增" in body

    comparison = client.get(reverse("dividends:run_detail", args=[run.pk])).context["comparison"]
    assert comparison.previous == last
    assert comparison.previous_total == Decimal("500.00")
    assert comparison.difference == Decimal("700.00")
    assert (comparison.new_households, comparison.gone_households) == (1, 0)
    assert newcomer.pk in {row["line"].household_id for row in rows}


@pytest.mark.parametrize("households", [5, 50])
def test_lines_page_queries_do_not_grow_with_households(
    login, make_run, world, households, django_assert_max_num_queries
):
    for n in range(3, households + 1):
        factories.household(
            cooperative_=world.coop_a, community_=world.east, number=f"A{n:03d}", shares={"RK": "1"}
        )
    _standard_for(YEAR - 1, world.coop_a)
    services.dividend_run_approve(actor=world.supervisor_a, run=make_run(year=YEAR - 1))
    run = make_run()
    client = login(world.accountant_a)
    url = reverse("dividends:run_lines", args=[run.pk])

    with django_assert_max_num_queries(6):
        response = client.get(url, {"sort": "-total"})
    assert len(response.context["rows"]) == households
    # 12, plus who may approve: the signer's scope and the year's approved run.
    with django_assert_max_num_queries(14):
        client.get(reverse("dividends:run_detail", args=[run.pk]))


def test_lines_paginate_by_50(login, make_run, world):
    for n in range(3, 56):
        factories.household(
            cooperative_=world.coop_a, community_=world.east, number=f"A{n:03d}", shares={"RK": "1"}
        )
    run = make_run()
    client = login(world.accountant_a)
    url = reverse("dividends:run_lines", args=[run.pk])
    first = client.get(url, {"sort": "-number"})
    assert len(first.context["rows"]) == 50
    assert first.context["rows"][0]["line"].household_number == "A055"
    second = client.get(url, {"sort": "-number", "page": 2})
    assert [row["line"].household_number for row in second.context["rows"]] == [
        "A005",
        "A004",
        "A003",
        "A002",
        "A001",
    ]
    assert "sort=-number" in first.content.decode()  # the next-page link keeps the sort


# --- Exports --------------------------------------------------------------------------------


def test_bank_list_download_is_audited_and_adds_up(login, make_run, world):
    run = make_run()
    client = login(world.accountant_a)

    response = client.get(reverse("dividends:run_export", args=[run.pk, "bank", "xlsx"]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    _preamble, header, rows, total = read(response.content, "xlsx")
    amounts = [Decimal(row[header.index("金额")]) for row in rows]
    assert sum(amounts) == run.total - run.remainder == Decimal(total[header.index("金额")])
    record = AuditRecord.objects.get(action="dividend.export")
    assert record.actor == world.accountant_a
    assert record.details == {"kind": "bank", "format": "xlsx"}

    response = client.get(reverse("dividends:run_export", args=[run.pk, "notice", "csv"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_no_export_before_the_run_is_computed(login, make_run, world):
    run = make_run(compute=False)
    client = login(world.accountant_a)
    response = client.get(reverse("dividends:run_export", args=[run.pk, "bank", "csv"]))
    assert response.status_code == 302
    assert response.url == reverse("dividends:run_detail", args=[run.pk])
    assert not AuditRecord.objects.filter(action="dividend.export").exists()


# --- Pages read in Chinese ------------------------------------------------------------------


def test_pages_have_no_english_labels(login, make_run, world):
    run = make_run()
    client = login(world.accountant_a)
    for url in [
        reverse("dividends:run_list"),
        reverse("dividends:run_create"),
        reverse("dividends:run_detail", args=[run.pk]),
        reverse("dividends:run_lines", args=[run.pk]),
        reverse("dividends:statement", args=[run.pk, world.a_east.pk]),
    ]:
        response = client.get(url)
        assert english_words(response, "acc", "XLSX", "CSV") == set(), url


# --- Statement: how the figures were reached (issue 9, finding 9) ---------------------------


def statement_body(login, world, run, household=None):
    url = reverse("dividends:statement", args=[run.pk, (household or world.a_east).pk])
    response = login(world.accountant_a).get(url)
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_statement_shows_weighted_shares_per_class_and_the_base_calculation(login, make_run, world):
    from villages.models import ShareClass, ShareMovement

    old_age = ShareClass.objects.create(
        cooperative=world.coop_a, code="NL", name="农龄股", weight=Decimal("0.5")
    )
    ShareMovement.objects.create(
        household=world.a_east,
        share_class=old_age,
        kind=ShareMovement.Kind.ISSUE,
        quantity=Decimal("2.5"),
        effective_on=date(2018, 1, 1),
        reason="测试配股",
    )
    run = make_run(total="561600.00")

    body = statement_body(login, world, run)

    # 人口股 3 × 1 = 3, 农龄股 2.5 × 0.5 = 1.25: 4.25 weighted shares; A002 has 2.
    assert (
        '人口股</th><td class="num">3</td><td class="num">× 1</td><td class="num">= 3</td>' in body
    )
    assert (
        '农龄股</th><td class="num">2.5</td><td class="num">× 0.5</td><td class="num">= 1.25</td>'
        in body
    )
    assert 'id="statement-weighted">4.25<' in body
    line = run.lines.get(household=world.a_east)
    assert (
        f"基本股分红池 468,000.00 元 × 本户折算股数 4.25 ÷ 全部股东折算股数 6.25 ≈ 318,240.0000 元，"
        f"按最大余数法取整到分：{line.base_amount:,.2f} 元。"
    ) in body
    assert f'id="statement-total">{line.total_amount:,.2f}<' in body  # thousands separators


def test_statement_shows_the_incentive_by_score_and_the_signature_lines(login, make_run, world):
    run = make_run(total="561600.00")

    body = statement_body(login, world, run)

    # Both households score the base 80: 93,600.00 × 80 ÷ 160.
    assert f'id="statement-policy">{run.get_policy_display()}<' in body
    assert (
        "积分激励池 93,600.00 元 × 本户积分 80 ÷ 符合条件各户积分合计 160 ≈ 46,800.0000 元，"
        "按最大余数法取整到分：46,800.00 元。"
    ) in body
    for text in (
        "户主签字",
        "合作社会计",
        "理事长",
        "合作社（盖章）",
        'id="statement-created">acc_a',
    ):
        assert text in body


def test_statement_shows_the_tier_reached(login, make_run, world):
    run = make_run(
        total="561600.00",
        mode=DividendRun.IncentiveMode.SHARE_OF_TOTAL,
        value="0.15",
        policy=DividendRun.Policy.TIERS,
        parameters={
            "tiers": [
                {"min_score": "60", "share_of_base": "0.05"},
                {"min_score": "80", "share_of_base": "0.1"},
            ]
        },
    )

    body = statement_body(login, world, run)

    assert "本户积分 80 达到“80 分及以上”档，按基本股分红（精确值约" in body
    assert "的 0.1 计，舍去到分。" in body
    line = run.lines.get(household=world.a_east)
    assert f"本户积分激励：{line.incentive_amount:,.2f} 元。" in body


def test_statement_says_why_no_incentive_was_paid(login, make_run, world, items):

    factories.confirmed_veto(  # a reason, a photo and a second person, as the ledger takes it
        actor=world.staff_east,
        confirmer=world.admin,
        household=world.a_east,
        item=items["crime"],
        occurred_on=date(YEAR, 3, 10),
        today=date(YEAR, 12, 31),
    )
    vetoed = make_run()
    not_applied = make_run(parameters={"veto": False})

    assert "本户当年有一票否决项，不发积分激励。" in statement_body(login, world, vetoed)
    body = statement_body(login, world, not_applied)
    assert "本次分红未启用" in body and "不发积分激励。" not in body


def test_statement_does_not_invent_weights_changed_after_computing(login, make_run, world):
    from villages.models import ShareClass

    run = make_run()
    ShareClass.objects.filter(cooperative=world.coop_a, code="RK").update(weight=Decimal("2"))

    body = statement_body(login, world, run)

    assert "股种权重在计算后已修改" in body
    assert "× 2" not in body
    assert 'id="statement-weighted">3<' in body


def test_run_pages_show_amounts_with_thousands_separators(login, make_run, world):
    run = make_run(total="561600.00")
    client = login(world.accountant_a)

    detail = client.get(reverse("dividends:run_detail", args=[run.pk])).content.decode()
    lines = client.get(reverse("dividends:run_lines", args=[run.pk])).content.decode()
    listing = client.get(reverse("dividends:run_list")).content.decode()

    assert 'id="run-total">561,600.00<' in detail
    assert 'id="run-base-pool">468,000.00<' in detail
    assert "561,600.00" in listing
    line = run.lines.get(household=world.a_east)
    assert f"{line.total_amount:,.2f}" in lines and line.total_amount >= 1000


def test_recompute_is_refused_by_the_service_not_by_the_page(login, make_run, world):
    """Issue 21, point 3: the page has no copy of the guard; what the service refuses
    (here a run not computed yet) comes back on the page as the service's own reason,
    as on the award run's page."""
    run = make_run(compute=False)
    client = login(world.accountant_a)
    response = client.post(reverse("dividends:run_recompute", args=[run.pk]), follow=True)
    status = run.get_status_display()
    assert f"未能重新计算：当前状态（{status}）的方案不能重新计算" in response.content.decode()
    assert DividendRun.objects.count() == 1
