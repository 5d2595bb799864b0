/* What every page shares (loaded by base.html). No inline script or event handler
 * anywhere: the Content-Security-Policy allows scripts from our own files only.
 *
 * - The language switch submits itself when a language is chosen (a button shows
 *   without JavaScript).
 * - Any button with data-print prints the page.
 */
(function () {
  "use strict";
  var language = document.getElementById("language-select");
  if (language && language.form) {
    language.addEventListener("change", function () { language.form.submit(); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
