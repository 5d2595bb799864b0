"""The demo's award fund of 独山港镇韩家庙村 (awards/demo.py): built quickly, idempotent."""

import time
from decimal import Decimal

from django.urls import reverse

from accounts.models import AuditRecord, User
from awards import demo
from awards.models import AwardLine, AwardRun
from dividends import notice


def test_hanjiamiao_pays_10000_a_month_and_october_is_under_notice(db, client):
    started = time.monotonic()
    runs = demo.seed_award_demo()
    assert time.monotonic() - started < 30  # `make run` stays fast
    assert [run.period_label for run in runs] == ["2026年9月", "2026年10月", "2026年11月"]
    for run in runs:
        assert run.pool == Decimal("10000.00") and run.categories == ["environment"]
        assert run.household_count == demo.HOUSEHOLDS
        assert run.paid + run.remainder == run.pool
        assert run.paid == run.pool  # someone scored every month: the whole fund is paid
    september, october, november = runs
    assert (september.status, november.status) == (AwardRun.Status.COMPUTED,) * 2
    assert october.status == AwardRun.Status.APPROVED
    assert october.created_by.username == "accountant_hanjiamiao"
    assert october.approved_by.username == "supervisor_hanjiamiao"
    assert notice.under_notice(october)
    # The villager sees October on the card; the supervisor sees November's changes.
    users = {user.username: user for user in User.objects.filter(username__icontains="hanjiamiao")}
    assert all(user.check_password(demo.DEMO_PASSWORD) for user in users.values())
    client.force_login(User.objects.get(username="HANJIAMIAO-0001"))
    page = client.get(reverse("card:mine")).content.decode()
    assert "2026年10月" in page and "2026年11月" not in page
    client.force_login(users["supervisor_hanjiamiao"])
    page = client.get(reverse("awards:run_approve", args=[november.pk])).content.decode()
    assert "largest-changes" in page and 'id="approve-form"' in page


def test_a_second_run_adds_nothing(db):
    demo.seed_award_demo()
    counts = (AwardRun.objects.count(), AwardLine.objects.count(), AuditRecord.objects.count())
    demo.seed_award_demo()
    assert (
        AwardRun.objects.count(),
        AwardLine.objects.count(),
        AuditRecord.objects.count(),
    ) == counts
