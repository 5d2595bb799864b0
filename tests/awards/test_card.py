"""The villager's card lists the household's approved awards beside its dividends, each
line explained (period, score in the counted categories, policy, amount, how)."""

from datetime import date
from decimal import Decimal

from django.urls import reverse

from awards import services
from tests.awards.test_compute import create_run, event


def approved(world, **overrides):
    run = services.award_run_compute(run_id=create_run(world, **overrides).pk)
    return services.award_run_approve(actor=world.supervisor_a, run=run)


def test_the_card_lists_two_monthly_awards_with_an_explanation(client, world, items):
    event(world.a_east, items["clean"], "6", occurred_on=date(2026, 4, 8))
    event(world.a_west, items["clean"], "2", occurred_on=date(2026, 4, 9))
    event(world.a_east, items["clean"], "3")
    event(world.a_west, items["clean"], "1")
    april = approved(world, period_number=4, pool=Decimal("10000.00"))
    may = approved(world, period_number=5, pool=Decimal("10000.00"))
    services.award_run_compute(run_id=create_run(world, period_number=6).pk)  # not approved
    client.force_login(world.villager_a)
    page = client.get(reverse("card:mine")).content.decode()
    assert f'id="award-{april.pk}"' in page and f'id="award-{may.pk}"' in page
    assert "2026年6月" not in page
    assert "2026年4月" in page and "7,500.00 元" in page  # 6 of 8 points of 10,000.00
    assert "本期环境整治类计分 6 分 · 按积分比例" in page
    assert "奖励金 10,000.00 元 × 本户 6 分 ÷ 全部符合条件户合计 8 分" in page
    assert page.index(f'id="award-{may.pk}"') < page.index(f'id="award-{april.pk}"')


def test_a_household_sees_only_its_own_award_lines(client, world, items):
    event(world.a_west, items["clean"], "2")
    approved(world)
    client.force_login(world.villager_a)
    page = client.get(reverse("card:mine")).content.decode()
    assert "0.00 元" in page and "李秀英" not in page and "100.00 元" not in page


def test_a_vetoed_line_says_so(client, world, items):
    event(world.a_east, items["clean"], "6")
    event(world.a_west, items["clean"], "2")
    event(world.a_east, items["crime"], "-20")
    approved(world)
    client.force_login(world.villager_a)
    page = client.get(reverse("card:mine")).content.decode()
    assert "本期有一票否决项，不发奖励。" in page


def test_the_overview_shows_awards_paid_per_village_and_period_and_the_remainder(
    client, world, items
):
    event(world.a_east, items["clean"], "6", occurred_on=date(2026, 4, 8))
    tiers = [{"min_score": "5", "share_of_base": "0.5"}]
    approved(
        world, period_number=4, pool=Decimal("1000.00"), policy="tiers", parameters={"tiers": tiers}
    )
    event(world.a_west, items["clean"], "2")
    approved(world, period_number=5, pool=Decimal("100.00"))
    client.force_login(world.admin)
    page = client.get(reverse("overview:cooperatives"), {"year": 2026}).content.decode()
    assert "2026年4月" in page and "2026年5月" in page
    # April: A001 asks half of an equal part (500.00) → 250.00; 750.00 stays in the fund.
    assert "750.00" in page and "1,100.00" in page and "350.00" in page
    client.force_login(world.accountant_b)
    page = client.get(reverse("overview:cooperatives"), {"year": 2026}).content.decode()
    assert "2026年4月" not in page and 'id="overview-awards-none"' in page


def test_the_home_lists_awards_to_approve_and_the_towns_award_figures(client, world, items):
    from overview import selectors as overview_selectors

    event(world.a_east, items["clean"], "6", occurred_on=date(2026, 4, 8))
    tiers = [{"min_score": "5", "share_of_base": "0.5"}]
    approved(
        world, period_number=4, pool=Decimal("1000.00"), policy="tiers", parameters={"tiers": tiers}
    )
    services.award_run_compute(run_id=create_run(world, period_number=5).pk)  # to approve
    # The accountant prepared it and may not sign it; the supervisor and the admin may.
    for who in (world.accountant_a, world.supervisor_a):
        assert overview_selectors.accountant_todo(user=who)["awards_to_approve"] == 1
    assert overview_selectors.accountant_todo(user=world.accountant_b)["awards_to_approve"] == 0
    todo = overview_selectors.admin_todo(user=world.admin, today=date(2026, 6, 1))
    assert todo["awards_to_approve"] == 1
    # April: A001 asks half of an equal part (500.00) → 250.00; 750.00 stays in the fund.
    assert (todo["awards"]["paid"], todo["awards"]["remainder"]) == (
        Decimal("250.00"),
        Decimal("750.00"),
    )
    client.force_login(world.admin)
    page = client.get(reverse("home")).content.decode()
    assert 'id="todo-awards-paid"' in page and "750.00" in page
    client.force_login(world.supervisor_a)
    page = client.get(reverse("home")).content.decode()
    assert "待审批的奖励方案" in page and "计算失败的奖励方案" not in page
