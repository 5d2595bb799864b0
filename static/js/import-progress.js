/* Excel import job page (导入): while the job is queued or running, poll
 * /villages/imports/<id>/progress/ every second, move the <progress> bar, and reload the
 * page when the job is done or failed, to show its result or its errors.
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
