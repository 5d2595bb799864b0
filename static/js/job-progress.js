/* The one progress poller of background jobs: dividend runs, award runs, import jobs.
 *
 * A page marks its progress box with data-job-progress="<prefix>" (run, import), the
 * address of its progress answer (data-url) and whether the job has already settled
 * (data-done="1": nothing to poll). Every second the script asks the server and shows its
 * answer (selectors.progress_state / the import job's progress): the bar, the percentage,
 * the status beside it and the status badge all come from the same answer, so they never
 * disagree. While no live task has the job (can_retry) it shows the retry button, and the
 * server's hint (stalled) when the job may have stalled. When the job is done or failed it
 * reloads the page to show the results or the errors.
 *
 * The parts, found by id from the prefix, each optional but the box:
 *   <prefix>-progress-bar      a <progress> (value) or a role="progressbar" (aria-valuenow)
 *   <prefix>-progress-fill     the bar's fill (width), <prefix>-progress-text  "45%"
 *   <prefix>-progress-status   the status label, <prefix>-status-badge  the title's badge
 *   <prefix>-progress-error    the failure reason, <prefix>-progress-hint  "runs in the background"
 *   <prefix>-retry             the retry button's box, <prefix>-stalled  the server's words
 * Every page works without this script (reload it by hand); the server does all the work.
 */
(function () {
  "use strict";

  var watch = function (box) {
    if (box.getAttribute("data-done") === "1") return;
    var prefix = box.getAttribute("data-job-progress");
    var part = function (name) { return document.getElementById(prefix + "-" + name); };
    var url = box.getAttribute("data-url");
    var bar = part("progress-bar");
    var fill = part("progress-fill");
    var text = part("progress-text");
    var statusLabel = part("progress-status");
    var badge = part("status-badge");
    var errorBox = part("progress-error");
    var hint = part("progress-hint");
    var retryBox = part("retry");
    var stalled = part("stalled");
    var failures = 0;

    var show = function (data) {
      var percent = Math.max(0, Math.min(100, Number(data.progress) || 0));
      if (bar && bar.tagName === "PROGRESS") {
        bar.value = percent;
        bar.textContent = percent + "%";
      } else if (bar) {
        bar.setAttribute("aria-valuenow", String(percent));
      }
      if (fill) fill.style.width = percent + "%";
      if (text) text.textContent = percent + "%";
      if (data.status_label) {
        if (statusLabel) statusLabel.textContent = data.status_label;
        if (badge) {
          badge.textContent = data.status_label;
          badge.className = "run-status status-" + data.status;
        }
      }
      if (data.error && errorBox) {
        errorBox.textContent = data.error;
        errorBox.hidden = false;
        if (fill) fill.classList.add("is-failed");
      }
      // No live task has the job (the server's rule): offer the retry while still polling,
      // in case the sweep or a worker takes it up again.
      if (retryBox) retryBox.hidden = !data.can_retry;
      if (hint) hint.hidden = Boolean(data.can_retry || data.stalled);
      // The server's words for a job that may have stalled: what, and when the sweep acts.
      if (stalled) {
        stalled.textContent = data.stalled || "";
        stalled.hidden = !data.stalled;
      }
    };

    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          show(data);
          if (data.done) {
            // Let the full bar be seen for a moment, then show the results.
            window.setTimeout(function () { window.location.reload(); }, 600);
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () {
          failures += 1;
          window.setTimeout(poll, Math.min(10000, 1000 * (failures + 1)));
        });
    };
    window.setTimeout(poll, 1000);
  };

  Array.prototype.forEach.call(document.querySelectorAll("[data-job-progress]"), watch);
})();
