"""axe-core in every page the browser tests open (issue 24, point 9).

`install(context)` makes a Playwright browser context run the vendored axe-core
(tests/browser/vendor/axe-core/axe.min.js, no network) on every document it loads: an init
script injects axe, and once the page has loaded it runs the checks and reports the
violations of impact *serious* or *critical* back to Python through a binding. The
`browser` fixture of tests/browser/conftest.py installs it on every context a test creates
and fails the test on any such violation (listed with the page, the rule and the elements).

`assert_no_serious_axe_violations(page)` checks the page as it is now (after a click that
changed it without loading a new document, say) and fails at once.

The init script runs outside the page's Content-Security-Policy (Playwright injects it), so
the product needs no CSP exception for the tests.
"""

import json
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
BINDING = "__pinghuAxeReport"
# Swagger UI (drf-spectacular-sidecar's, for developers with a login) and Django's admin
# site are third-party markup and styling the product does not own: the admin's change
# forms carry Django's own widgets (filter_horizontal's search box is a <span aria-label>,
# the split date-time inputs have no label of their own), and running axe there makes it
# set inline styles that the admin's CSP blocks, which test_csp reports. Every page of
# the product itself is checked (the walks skip /admin/ links as well).
NOT_CHECKED = ("/api/docs/", "/admin/")

# Runs in every document after axe.min.js. One run at a time per document (axe refuses two);
# `__pinghuAxeRun()` returns the serious/critical violations of the page as it is then.
RUNNER = (
    """
(() => {
  // Only the product's own HTML pages: not about:blank, a JSON answer or a downloaded file.
  if (window.top !== window || !window.axe || !location.protocol.startsWith('http')
      || document.contentType !== 'text/html'
      || __NOT_CHECKED__.some(path => location.pathname.startsWith(path))) return;
  let queue = Promise.resolve();
  const serious = __SERIOUS__;
  const check = () => window.axe.run(document, {resultTypes: ['violations']}).then(result =>
    result.violations.filter(v => serious.includes(v.impact)).map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 6).map(n =>
        n.target.join(' ') + ' | ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240)),
      count: v.nodes.length,
    })));
  window.__pinghuAxeRun = () => (queue = queue.then(check, check));
  // The run on load, as a promise a test can wait for instead of running axe again.
  let loaded;
  window.__pinghuAxeOnLoad = new Promise(resolve => { loaded = resolve; });
  const onLoad = () => setTimeout(() => {
    window.__pinghuAxeRun().then(
      violations => { window.__BINDING__({url: location.href, violations}); loaded(violations); },
      error => { window.__BINDING__({url: location.href, error: String(error)}); loaded(null); });
  }, 30);
  if (document.readyState === 'complete') onLoad();
  else window.addEventListener('load', onLoad, {once: true});
})();
""".replace("__SERIOUS__", json.dumps(list(SERIOUS)))
    .replace("__BINDING__", BINDING)
    .replace("__NOT_CHECKED__", json.dumps(list(NOT_CHECKED)))
)


class AxeFindings:
    """What axe reported for the documents of the contexts it was installed on."""

    def __init__(self):
        self.checked = []  # URLs axe finished on
        self.violations = []  # (url, violation dict)
        self.errors = []  # (url, message): a run cut short by a navigation, say

    def report(self, source, payload):
        url = payload.get("url", "?")
        if "error" in payload:
            self.errors.append((url, payload["error"]))
            return
        self.checked.append(url)
        for violation in payload.get("violations", []):
            if (url, violation["id"]) not in {(u, v["id"]) for u, v in self.violations}:
                self.violations.append((url, violation))

    def check_now(self, page):
        """Check `page` as it is now; a page that is gone or not HTML is left out."""
        try:
            if page.is_closed() or not page.evaluate(
                "() => location.protocol.startsWith('http') && document.contentType === 'text/html'"
            ):
                return
            if any(path in page.url for path in NOT_CHECKED):
                return
            violations = serious_violations(page)
        except Exception as error:  # a page mid-navigation or crashed: nothing to check
            self.errors.append((page.url, str(error)[:200]))
            return
        self.report(None, {"url": page.url, "violations": violations})

    def summary(self):
        return format_violations(self.violations)


def format_violations(violations):
    lines = []
    for url, v in violations:
        lines.append(f"{url}: {v['id']} ({v['impact']}, {v['count']} element(s)) — {v['help']}")
        lines.extend(f"    {node}" for node in v["nodes"])
    return "\n".join(lines)


def install(context, findings):
    """Run axe on every document `context` loads, reporting to `findings`."""
    context.expose_binding(BINDING, findings.report)
    context.add_init_script(path=str(AXE_JS))
    context.add_init_script(script=RUNNER)
    return context


def serious_violations(page):
    """The serious/critical violations of `page` as it is now (axe injected if missing)."""
    if not page.evaluate("() => typeof window.__pinghuAxeRun === 'function'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
        page.evaluate(RUNNER)
    return page.evaluate("() => window.__pinghuAxeRun()")


def assert_no_serious_axe_violations_on_load(page):
    """Wait for the check axe ran when `page` loaded and fail on its findings: for a page
    just opened, this costs no second run (a walk of many pages halves its axe time)."""
    violations = page.evaluate(
        "() => window.__pinghuAxeOnLoad || (window.__pinghuAxeRun ? window.__pinghuAxeRun() : null)"
    )
    if violations is None:  # the run on load failed: check the page as it is now
        violations = serious_violations(page)
    found = [(page.url, v) for v in violations]
    assert not found, "axe-core (serious/critical):\n" + format_violations(found)


def assert_no_serious_axe_violations(page):
    violations = [(page.url, v) for v in serious_violations(page)]
    assert not violations, "axe-core (serious/critical):\n" + format_violations(violations)
