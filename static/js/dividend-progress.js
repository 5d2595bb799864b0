/* Dividend pages (分红): two small behaviours, each only where its element exists.
 *
 * 1. Run page: the progress bar polls /dividends/runs/<id>/progress/ every second until
 *    the run is computed or failed, then reloads the page to show the results. The bar,
 *    the percentage, the status beside it and the status badge in the title all come
 *    from the same answer (selectors.progress_state), so they never disagree.
 *    While no live task has the run (can_retry), it shows the "重新计算" button, and the
 *    server's hint (stalled) when the run may have stalled.
 * 2. New run form: a live preview of the two pools, computed here in exact integer fen
 *    (BigInt, no float) by the same rule as the server, then checked against the server's
 *    own answer (a small JSON endpoint calling services.pools); above the 20% ceiling the
 *    confirmation checkbox appears. The tier rows show only for the "tiers" policy.
 * (The statement's print button is handled by site.js, like every data-print button.)
 * Every page works without this script; the server checks everything again.
 */
(function () {
  "use strict";

  /* ---- 1. progress ---------------------------------------------------------- */
  var box = document.getElementById("run-progress");
  if (box && box.getAttribute("data-done") !== "1") {
    var url = box.getAttribute("data-url");
    var bar = document.getElementById("run-progress-bar");
    var fill = document.getElementById("run-progress-fill");
    var text = document.getElementById("run-progress-text");
    var statusLabel = document.getElementById("run-progress-status");
    var badge = document.getElementById("run-status-badge");
    var errorBox = document.getElementById("run-progress-error");
    var retryBox = document.getElementById("run-retry");
    var hint = document.getElementById("run-progress-hint");
    var stalled = document.getElementById("run-stalled");
    var failures = 0;

    var show = function (data) {
      var percent = Math.max(0, Math.min(100, Number(data.progress) || 0));
      fill.style.width = percent + "%";
      bar.setAttribute("aria-valuenow", String(percent));
      text.textContent = percent + "%";
      if (data.status_label) {
        statusLabel.textContent = data.status_label;
        if (badge) {
          badge.textContent = data.status_label;
          badge.className = "run-status status-" + data.status;
        }
      }
      if (data.error) {
        errorBox.textContent = data.error;
        errorBox.hidden = false;
        fill.classList.add("is-failed");
      }
      // No live task has the run (the server's rule): offer "重新计算" while still polling,
      // in case the sweep or a worker takes it up again.
      if (retryBox) retryBox.hidden = !data.can_retry;
      if (hint) hint.hidden = Boolean(data.can_retry || data.stalled);
      // The server's words for a run that may have stalled: what, and when the sweep acts.
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
  }

  /* ---- 2. pools preview ------------------------------------------------------ */
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

    // "1,234.5" / full-width digits -> {digits: BigInt, scale: n} meaning digits / 10^scale.
    var parseDecimal = function (raw) {
      var clean = String(raw || "")
        .replace(/[\uFF10-\uFF19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); })
        .replace(/[\uFF0E\u3002]/g, ".")
        .replace(/[,\s\uFF0C]/g, "");
      if (!/^\d+(\.\d*)?$|^\.\d+$/.test(clean)) return null;
      var parts = clean.split(".");
      var fraction = parts[1] || "";
      return { digits: BigInt((parts[0] || "0") + fraction), scale: fraction.length };
    };
    var pow10 = function (n) { return BigInt("1" + "0".repeat(n)); };
    // round(numerator / denominator) half up, for non-negative BigInts.
    var divHalfUp = function (numerator, denominator) {
      return (numerator * 2n + denominator) / (denominator * 2n);
    };
    var toFen = function (d) { return divHalfUp(d.digits * 100n, pow10(d.scale)); };
    // Whether d has at most `places` decimals (trailing zeros aside): the server refuses
    // more (services.validate_money_inputs) instead of rounding them away.
    var fits = function (d, places) {
      return d.scale <= places || d.digits % pow10(d.scale - places) === 0n;
    };
    var yuan = function (fen) {
      var s = fen.toString().padStart(3, "0");
      return s.slice(0, -2) + "." + s.slice(-2);
    };

    // The rule of services.pools, in fen. Returns null when the input is incomplete.
    var localPools = function () {
      var total = parseDecimal(totalInput.value);
      var value = parseDecimal(valueInput.value);
      if (!total || !value) return null;
      if (!fits(total, 2) || !fits(value, modeInput.value === "fixed" ? 2 : 4)) {
        return { error: true };
      }
      var totalFen = toFen(total);
      var base;
      var mode = modeInput.value;
      if (mode === "ratio_of_base") {
        // B = T / (1 + r), r = digits / 10^scale
        var scale = pow10(value.scale);
        base = divHalfUp(totalFen * scale, scale + value.digits);
      } else if (mode === "share_of_total") {
        if (value.digits > pow10(value.scale)) return { error: true };
        base = totalFen - divHalfUp(totalFen * value.digits, pow10(value.scale));
      } else if (mode === "fixed") {
        var fixed = toFen(value);
        if (fixed > totalFen) return { error: true };
        base = totalFen - fixed;
      } else {
        return null;
      }
      var incentive = totalFen - base;
      var basisPoints = totalFen > 0n ? divHalfUp(incentive * 10000n, totalFen) : 0n;
      return {
        base_pool: yuan(base),
        incentive_pool: yuan(incentive),
        incentive_percent: yuan(basisPoints),
        // Above 20% of the total, compared exactly (services.exceeds_ceiling): I > T / 5.
        over_ceiling: incentive * 5n > totalFen
      };
    };

    // "468000.00" -> "468,000.00": amounts on pages have thousands separators (the
    // `money` template filter does the same on the server).
    var grouped = function (amount) {
      var parts = String(amount).split(".");
      parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
      return parts.join(".");
    };
    var render = function (data) {
      out.base.textContent = grouped(data.base_pool);
      out.incentive.textContent = grouped(data.incentive_pool);
      out.percent.textContent = data.incentive_percent + "%";
      percentBox.classList.toggle("is-over", !!data.over_ceiling);
      ceilingBox.hidden = !data.over_ceiling;
    };
    var clear = function () {
      out.base.textContent = out.incentive.textContent = out.percent.textContent = "—";
      percentBox.classList.remove("is-over");
    };

    var checkServer = function (local) {
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
          render(data); // the server's numbers win
          var same = local && !local.error && local.base_pool === data.base_pool &&
            local.incentive_pool === data.incentive_pool;
          note.textContent = note.getAttribute(same ? "data-ok" : "data-mismatch");
          preview.setAttribute("data-checked", "1");
        })
        .catch(function () { /* the local preview stays; the server checks on submit */ });
    };

    var update = function () {
      preview.removeAttribute("data-checked");
      var local = localPools();
      if (!local) {
        clear();
        previewError.hidden = true;
        note.textContent = note.getAttribute("data-empty");
        return;
      }
      if (!local.error) {
        previewError.hidden = true;
        render(local);
      }
      note.textContent = note.getAttribute("data-checking");
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { checkServer(local); }, 250);
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
