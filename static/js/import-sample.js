/* Register import page (导入股东名册): the sample download follows the cooperative
 * chosen in the form, so the sample has that cooperative's share classes and unused
 * household numbers. Without this script the link gives the first cooperative's sample.
 */
(function () {
  "use strict";
  var link = document.getElementById("household-import-sample");
  var select = document.getElementById("id_cooperative");
  if (!link || !select) return;
  var base = link.getAttribute("href").split("?")[0];
  var follow = function () {
    link.setAttribute(
      "href",
      select.value ? base + "?cooperative=" + encodeURIComponent(select.value) : base
    );
  };
  select.addEventListener("change", follow);
  follow();
})();
