/* What every page shares (loaded by base.html). No inline script or event handler
 * anywhere: the Content-Security-Policy allows scripts from our own files only.
 *
 * - A language switch submits itself when a language is chosen (a button shows
 *   without JavaScript).
 * - A list marked data-autosubmit (the door app's grid) submits its form when chosen.
 * - Any button with data-print prints the page.
 * - A <details open data-closed-on-phone> (the statistics' tables) starts closed on a
 *   phone (600 px and narrower), behind a tap, and opens again for printing.
 * - The phone's user menu (a <details>) closes on Escape or a tap outside it.
 */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-language-switch]"), function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("select[data-autosubmit]"), function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var behindATap = document.querySelectorAll("details[data-closed-on-phone]");
  if (behindATap.length && window.matchMedia("(max-width: 600px)").matches) {
    Array.prototype.forEach.call(behindATap, function (details) { details.open = false; });
    window.addEventListener("beforeprint", function () {
      Array.prototype.forEach.call(behindATap, function (details) { details.open = true; });
    });
  }
  var menu = document.querySelector(".user-menu");
  if (menu) {
    document.addEventListener("click", function (event) {
      if (menu.open && !menu.contains(event.target)) { menu.open = false; }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }
})();
