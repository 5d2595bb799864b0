/* The door app's photo control on an ordinary form (the villager's appeal, issue 24).
 *
 * A [data-photo-field] box holds a large button (the <label> of a visually hidden file
 * input), a status line and a canvas. A chosen photo is drawn on the canvas as its
 * preview, scaled to at most 1600 px and compressed to a JPEG (quality 0.8), as the door
 * app does, and the compressed file replaces the chosen one in the input before the form
 * is sent. A file the browser cannot decode is sent as chosen (the server checks it).
 */
(function () {
  "use strict";
  var MAX_SIDE = 1600;
  var QUALITY = 0.8;
  Array.prototype.forEach.call(document.querySelectorAll("[data-photo-field]"), function (box) {
    var input = box.querySelector("input[type=file]");
    var canvas = box.querySelector("canvas");
    var status = box.querySelector("[data-photo-status]");
    if (!input || !canvas || !status) return;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      canvas.hidden = true;
      box.dataset.photo = "";
      status.textContent = "";
      if (!file) return;
      if (!window.createImageBitmap) { status.textContent = file.name; box.dataset.photo = "ready"; return; }
      box.dataset.photo = "compressing";
      window.createImageBitmap(file).then(function (bitmap) {
        var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        canvas.hidden = false;
        return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
      }).then(function (blob) {
        if (blob && window.DataTransfer && blob.size < file.size) {
          var files = new DataTransfer();
          files.items.add(new File([blob], "photo.jpg", { type: "image/jpeg" }));
          input.files = files.files;
        }
        status.textContent = box.dataset.readyText || file.name;
        box.dataset.photo = "ready";
      }).catch(function () {
        status.textContent = file.name;
        box.dataset.photo = "ready";
      });
    });
  });
})();
