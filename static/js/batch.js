/* Batch entry (批量录入): keyboard moves and a live preview of each row's total.
 *
 * Enter           down the column to the next household (Shift: up); after the last one,
 *                 the top of the next column. Enter never submits the batch
 * Tab             the browser's order: along the row
 * ArrowUp / Down  same column, previous / next household (points and note fields)
 * Ctrl+Enter      save the batch
 * On load the first cell has focus, or the first cell in error; the links in the list of
 * problems at the top focus the field they name.
 * The page works without this script; the server checks everything again.
 */
(function () {
  "use strict";
  var form = document.getElementById("batch-form");
  if (!form) return;

  var table = form.querySelector(".batch-table");
  var summary = document.getElementById("batch-summary");
  var submitting = false;

  function fields() {
    return Array.prototype.slice.call(
      form.querySelectorAll(".batch-table input:not([type=hidden]):not([disabled])")
    );
  }

  function focusField(input) {
    if (!input) return false;
    input.focus();
    if (input.type === "text" && typeof input.select === "function") input.select();
    return true;
  }

  function moveBy(current, step) {
    var list = fields();
    var index = list.indexOf(current);
    var next = list[index + step];
    if (next) return focusField(next);
    if (step > 0) {
      var save = document.getElementById("batch-save");
      if (save) save.focus();
    }
    return false;
  }

  function moveVertical(current, step) {
    var row = current.closest("tr");
    var column = current.getAttribute("data-col");
    var sibling = step > 0 ? row.nextElementSibling : row.previousElementSibling;
    while (sibling) {
      var target = sibling.querySelector('input[data-col="' + column + '"]:not([disabled])');
      if (target) return focusField(target);
      sibling = step > 0 ? sibling.nextElementSibling : sibling.previousElementSibling;
    }
    return false;
  }

  /* Enter: down the column; past the last household, the first one of the next column. */
  function moveDown(current, step) {
    if (moveVertical(current, step)) return true;
    var column = current.getAttribute("data-col");
    var match = /^(note-)?(\d+)$/.exec(column || "");
    if (!match) return moveBy(current, step);
    var next = (match[1] || "") + (parseInt(match[2], 10) + step);
    var candidates = Array.prototype.slice.call(
      table.querySelectorAll('input[data-col="' + next + '"]:not([disabled])')
    );
    var target = step > 0 ? candidates[0] : candidates[candidates.length - 1];
    if (target) return focusField(target);
    if (step > 0) {
      var save = document.getElementById("batch-save");
      if (save) save.focus();
    }
    return false;
  }

  // Tenths as integers, so 0.1 + 0.2 adds up exactly.
  function tenths(text) {
    var clean = String(text || "")
      .replace(/[\uFF10-\uFF19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); })
      .replace(/\uFF0E/g, ".")
      .trim();
    if (clean === "") return null;
    if (!/^-?\d+(\.\d)?$/.test(clean)) return NaN;
    return Math.round(Math.abs(parseFloat(clean)) * 10);
  }

  function show(value) {
    var text = (value / 10).toFixed(1).replace(/\.0$/, "");
    return value > 0 ? "+" + text : text;
  }

  function checkCell(input) {
    var value = tenths(input.value);
    var low = tenths(input.getAttribute("data-min"));
    var high = tenths(input.getAttribute("data-max"));
    var bad = value !== null && (isNaN(value) || value < low || value > high);
    input.classList.toggle("is-warning", bad);
    return bad ? null : value;
  }

  function updateRow(row) {
    var total = 0;
    var count = 0;
    row.querySelectorAll("input.batch-points").forEach(function (input) {
      var value = checkCell(input);
      if (value !== null && value !== 0) {
        total += value * parseInt(input.getAttribute("data-sign"), 10);
        count += 1;
      }
    });
    var preview = row.querySelector(".batch-preview");
    if (!preview) return count;
    if (!count) {
      preview.textContent = "";
      preview.className = "num batch-preview";
      return 0;
    }
    var text = show(total);
    var year = row.getAttribute("data-year-score");
    if (year !== "") {
      var after = tenths(year) + total;
      var lower = tenths(row.getAttribute("data-lower"));
      var upper = tenths(row.getAttribute("data-upper"));
      if (lower !== null) after = Math.max(after, lower);
      if (upper !== null) after = Math.min(after, upper);
      text += " → " + show(after).replace(/^\+/, "");
    }
    preview.textContent = text;
    preview.className = "num batch-preview " + (total >= 0 ? "positive" : "negative");
    return count;
  }

  function updateAll() {
    var filled = 0;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      filled += updateRow(row);
    });
    if (summary) {
      summary.textContent = filled
        ? (summary.getAttribute("data-template") || "{n}").replace("{n}", filled)
        : "";
    }
    return filled;
  }

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.tagName !== "INPUT" || !table.contains(target)) return;
    if (event.isComposing || event.keyCode === 229) return; // an IME is choosing characters
    if (event.key === "Enter") {
      event.preventDefault();
      if (event.ctrlKey || event.metaKey) {
        submitting = true;
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
        return;
      }
      moveDown(target, event.shiftKey ? -1 : 1);
      return;
    }
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && target.type === "text") {
      if (moveVertical(target, event.key === "ArrowDown" ? 1 : -1)) event.preventDefault();
    }
  });

  form.addEventListener("input", function (event) {
    if (event.target.classList.contains("batch-points")) updateAll();
  });

  form.addEventListener("submit", function () {
    submitting = true;
  });

  window.addEventListener("beforeunload", function (event) {
    if (submitting || !updateAll()) return;
    event.preventDefault();
    event.returnValue = form.getAttribute("data-confirm-leave") || "";
  });

  updateAll();
  document.querySelectorAll(".batch-error-link").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("data-target"));
      if (!target) return;
      event.preventDefault();
      target.scrollIntoView({ block: "center" });
      if (!focusField(target.matches("input") ? target : target.querySelector("input"))) {
        target.focus && target.focus();
      }
    });
  });
  var firstError = form.querySelector('[aria-invalid="true"]');
  if (firstError) {
    firstError.scrollIntoView({ block: "center" });
    focusField(firstError);
  } else {
    focusField(form.querySelector(".batch-table input.batch-points:not([disabled])"));
  }
})();
