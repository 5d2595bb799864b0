"""The scripts keep no copy of a server rule (issue 21, point 3): one progress poller for
every background job's page, and the dividend form shows the server's pools."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "static" / "js"
PROGRESS_PAGES = (
    "templates/dividends/run_detail.html",
    "templates/awards/run_detail.html",
    "templates/villages/import_job.html",
)


def test_every_progress_page_uses_the_one_poller():
    for name in PROGRESS_PAGES:
        page = (ROOT / name).read_text()
        assert "data-job-progress=" in page and "js/job-progress.js" in page, name
    pollers = [path.name for path in SCRIPTS.glob("*.js") if "progress-text" in path.read_text()]
    assert pollers == ["job-progress.js"]


def test_the_dividend_form_does_no_pool_arithmetic_of_its_own():
    script = (SCRIPTS / "dividend-form.js").read_text()
    assert "BigInt" not in script and "divHalfUp" not in script
    assert "data.base_pool_text" in script and "data.incentive_pool_text" in script
