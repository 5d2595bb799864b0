/* The 公示 on a phone: the household lines a page at a time (PAGE_SIZE), with a pager under
 * the table. Only the screen hides lines (a class the phone's stylesheet reads), so printing
 * still gives the whole list, and a desktop, wider than the phone's layout, sees every line.
 */
(function () {
  "use strict";
  var PAGE_SIZE = 20;
  var phone = window.matchMedia("(max-width: 600px)");
  var table = document.getElementById("notice-table");
  var pager = document.getElementById("notice-pager");
  if (!table || !pager) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows).filter(function (row) {
    return !row.classList.contains("sum");
  });
  var pages = Math.ceil(rows.length / PAGE_SIZE);
  if (pages < 2) { return; }
  var where = pager.querySelector("[data-pager=where]");
  var previous = pager.querySelector("[data-pager=previous]");
  var next = pager.querySelector("[data-pager=next]");
  var current = 0;

  function show(page, scroll) {
    current = Math.max(0, Math.min(pages - 1, page));
    rows.forEach(function (row, index) {
      row.classList.toggle("is-off-page", Math.floor(index / PAGE_SIZE) !== current);
    });
    where.textContent = pager.dataset.pageLabel
      .replace("{page}", String(current + 1)).replace("{pages}", String(pages));
    previous.disabled = current === 0;
    next.disabled = current === pages - 1;
    if (scroll) { table.scrollIntoView({block: "start"}); }
  }

  function layout() {
    pager.hidden = !phone.matches;
  }

  previous.addEventListener("click", function () { show(current - 1, true); });
  next.addEventListener("click", function () { show(current + 1, true); });
  if (phone.addEventListener) { phone.addEventListener("change", layout); }
  show(0, false);
  layout();
})();
