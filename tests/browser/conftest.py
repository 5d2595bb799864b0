"""Real-browser tests: Debian chromium driven through Playwright's sync API.

Skipped when /usr/bin/chromium is missing (CI installs it). Screenshots go to
`test-artifacts/` at the repository root.
"""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from communities.models import ScoringItem, ScoringStandard, StandardAdoption
from tests import factories
from tests.browser import axe

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# inside one unless told it is safe (the tests and the live server use the ORM from threads).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def browser():
    """Chromium; every context a test opens on it runs axe-core on each page it loads.

    The test fails at teardown on any serious or critical axe violation (tests/browser/axe.py).
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    findings = axe.AxeFindings()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        new_context = chromium.new_context

        def new_context_with_axe(*args, **kwargs):
            context = axe.install(new_context(*args, **kwargs), findings)
            close = context.close

            def close_after_last_check(*close_args, **close_kwargs):
                # The page a test ends on is checked even if it closes before axe ran.
                for open_page in context.pages:
                    findings.check_now(open_page)
                close(*close_args, **close_kwargs)

            context.close = close_after_last_check
            return context

        chromium.new_context = new_context_with_axe
        chromium.axe_findings = findings
        try:
            yield chromium
        finally:
            chromium.close()
    assert not findings.violations, "axe-core (serious/critical):\n" + findings.summary()


def watch_csp(page):
    """Collect the Content-Security-Policy violations Chromium reports on `page`."""
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


@pytest.fixture
def page(browser):
    """A desktop page; every test using it also fails on a CSP violation."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = watch_csp(page)
    try:
        yield page
    finally:
        context.close()
    assert violations == [], violations


@pytest.fixture
def scoring(world):
    """The published 2026 standard of the `world` fixture's cooperatives, with four items."""
    standard = ScoringStandard.objects.create(
        town=factories.town(),
        name="撤建制村统一标准",
        year=2026,
        base_points=Decimal("80"),
        status=ScoringStandard.Status.PUBLISHED,
    )
    for cooperative in (world.coop_a, world.coop_b):
        StandardAdoption.objects.create(
            standard=standard, cooperative=cooperative, meeting_date=date(2026, 1, 15), votes_for=45
        )
    add, deduct = ScoringItem.Direction.ADD, ScoringItem.Direction.DEDUCT

    def item(code, name, direction, default, low, high, **extra):
        return ScoringItem.objects.create(
            standard=standard,
            code=code,
            name=name,
            category=extra.pop("category", ScoringItem.Category.ENVIRONMENT),
            direction=direction,
            default_points=Decimal(default),
            min_points=Decimal(low),
            max_points=Decimal(high),
            **extra,
        )

    return {
        "clean": item("HJ01", "庭院整洁", add, "5", "1", "10", cap_per_month=Decimal("10")),
        "volunteer": item("CY01", "志愿服务", add, "2", "1", "5"),
        "litter": item("HJ11", "乱堆乱放", deduct, "5", "1", "10"),
        "photo": item("HJ02", "垃圾分类示范户", add, "3", "1", "3", evidence_required=True),
    }
