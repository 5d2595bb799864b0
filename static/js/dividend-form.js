/* The new dividend run form (分红): a live preview of the two pools and the 20% ceiling,
 * as the server computes them (a small JSON endpoint calling services.pools): this script
 * does no arithmetic of its own, it asks and shows the answer; above the ceiling the
 * confirmation checkbox appears. The tier rows show only for the "tiers" policy, and the
 * record date follows the year.
 * The page works without this script; the server checks everything again on submit.
 * (Progress bars of runs are static/js/job-progress.js.)
 */
(function () {
  "use strict";

  var form = document.getElementById("run-form");
  var preview = document.getElementById("pools-preview");
  if (form && preview) {
    var totalInput = form.querySelector("[name=total]");
    var modeInput = form.querySelector("[name=incentive_mode]");
    var valueInput = form.querySelector("[name=incentive_value]");
    var ceilingBox = document.getElementById("ceiling-box");
    var percentBox = document.getElementById("preview-percent-box");
    var note = document.getElementById("preview-note");
    var previewError = document.getElementById("preview-error");
    var out = {
      base: document.getElementById("preview-base"),
      incentive: document.getElementById("preview-incentive"),
      percent: document.getElementById("preview-percent")
    };
    var timer = null;
    var sequence = 0;

    var render = function (data) {
      out.base.textContent = data.base_pool_text;
      out.incentive.textContent = data.incentive_pool_text;
      out.percent.textContent = data.incentive_percent + "%";
      percentBox.classList.toggle("is-over", !!data.over_ceiling);
      ceilingBox.hidden = !data.over_ceiling;
    };
    var clear = function () {
      out.base.textContent = out.incentive.textContent = out.percent.textContent = "—";
      percentBox.classList.remove("is-over");
    };

    var ask = function () {
      var mine = ++sequence;
      var params = new URLSearchParams({
        total: totalInput.value.trim(),
        incentive_mode: modeInput.value,
        incentive_value: valueInput.value.trim()
      });
      fetch(preview.getAttribute("data-url") + "?" + params.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (mine !== sequence) return; // an older answer
          if (data.error) {
            previewError.textContent = data.error;
            previewError.hidden = false;
            clear();
            note.textContent = "";
            return;
          }
          previewError.hidden = true;
          render(data);
          note.textContent = note.getAttribute("data-ok");
          preview.setAttribute("data-checked", "1");
        })
        .catch(function () { note.textContent = ""; /* the server checks on submit */ });
    };

    var update = function () {
      preview.removeAttribute("data-checked");
      if (!totalInput.value.trim() || !valueInput.value.trim()) {
        sequence += 1; // an answer still on its way is for older input
        clear();
        previewError.hidden = true;
        note.textContent = note.getAttribute("data-empty");
        return;
      }
      note.textContent = note.getAttribute("data-checking");
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 250);
    };

    [totalInput, valueInput].forEach(function (input) { input.addEventListener("input", update); });
    modeInput.addEventListener("change", update);
    if (totalInput.value && valueInput.value) update();

    // Tier rows only matter for the tiers policy.
    var tiers = document.getElementById("tiers");
    var policyInputs = form.querySelectorAll("[name=policy]");
    var syncPolicy = function () {
      var checked = form.querySelector("[name=policy]:checked");
      if (tiers) tiers.hidden = !checked || checked.value !== "tiers";
    };
    Array.prototype.forEach.call(policyInputs, function (input) {
      input.addEventListener("change", syncPolicy);
    });
    syncPolicy();

    // The record date follows the year (Dec 31) until the accountant sets another date.
    var yearInput = form.querySelector("[name=year]");
    var dateInput = form.querySelector("[name=record_date]");
    if (yearInput && dateInput) {
      var yearEnd = function (year) { return year + "-12-31"; };
      var lastYear = yearInput.value.trim();
      yearInput.addEventListener("input", function () {
        var year = yearInput.value.trim();
        if (!/^\d{4}$/.test(year)) return;
        if (!dateInput.value || dateInput.value === yearEnd(lastYear)) dateInput.value = yearEnd(year);
        lastYear = year;
      });
    }
  }
})();
