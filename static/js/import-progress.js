/* Excel import job page (导入): while the job is queued or running, poll
 * /villages/imports/<id>/progress/ every second, move the <progress> bar, and reload the
 * page when the job is done or failed, to show its result or its errors. When the job
 * may have stalled it shows the server's hint and the "重新导入" button.
 * The page works without this script (reload it by hand); the server does all the work.
 */
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.getAttribute("data-done") === "1") return;
  var url = box.getAttribute("data-url");
  var bar = document.getElementById("import-progress-bar");
  var text = document.getElementById("import-progress-text");
  var statusLabel = document.getElementById("import-progress-status");
  var hint = document.getElementById("import-progress-hint");
  var retryBox = document.getElementById("import-retry");
  var stalled = document.getElementById("import-stalled");
  var failures = 0;

  var poll = function () {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        var percent = Math.max(0, Math.min(100, Number(data.progress) || 0));
        bar.value = percent;
        bar.textContent = percent + "%";
        text.textContent = percent + "%";
        if (data.status_label) statusLabel.textContent = data.status_label;
        // No live task has the job (the server's rule): offer "重新导入" and say why,
        // while still polling in case the sweep or a worker takes it up again.
        if (retryBox) retryBox.hidden = !data.can_retry;
        if (hint) hint.hidden = Boolean(data.can_retry || data.stalled);
        if (stalled) {
          stalled.textContent = data.stalled || "";
          stalled.hidden = !data.stalled;
        }
        if (data.done) {
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
})();
