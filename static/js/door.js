/* Scoring at the door (入户评分): the micro-grid leader's phone app.
 *
 * The page is a shell (communities/door.html). This script
 * - keeps the grid's data (households, standards, this month's events, room under caps)
 *   in IndexedDB, fetched from data-data-url whenever there is signal;
 * - draws the grid's list and one household's screen (#h<id>) from that copy;
 * - queues each new entry, with its photo compressed on a canvas to a JPEG blob and a
 *   client-made id (UUID), in IndexedDB, and sends the queue to data-sync-url when online;
 *   the server records each entry once whatever the number of sends, and returns refused
 *   entries with their reasons, which stay on the phone until the leader dismisses them;
 * - registers the service worker that keeps the shell for use without signal.
 * Every text shown comes from the server (#door-messages), translated there.
 */
(function () {
  "use strict";
  var root = document.getElementById("door");
  if (!root) return;
  var T = JSON.parse(document.getElementById("door-messages").textContent);
  var gridId = root.dataset.grid;
  var userId = root.dataset.user; // entries are sent only under the login that made them
  var dataUrl = root.dataset.dataUrl;
  var syncUrl = root.dataset.syncUrl;
  var PHOTO_MAX_SIDE = 1600;
  var PHOTO_QUALITY = 0.8;
  var SEND_CHUNK = 10;
  // Signal must hold this long after an "online" event before the queue goes: a stairwell's
  // signal comes and goes, and Chromium's offline emulation says "online" for an instant in
  // a page being reloaded (tests/browser/test_door_entry.py). Sends are idempotent anyway.
  var SIGNAL_SETTLE_MS = 1500;

  var data = null; // the grid's data as last fetched
  var queue = []; // queued entries (waiting or refused), oldest first
  var current = null; // {household, item} being entered
  var photoBlob = null;
  var sending = false;
  var needsLogin = false; // the session ended (idle limit): sending waits for a new login
  var problem = ""; // why the last send was refused as a whole, as the server said it

  function $(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function num(value) { return value === null || value === undefined || value === "" ? null : parseFloat(value); }
  function fmt(value) { return String(Math.round(value * 10) / 10); }
  function signed(value) { return (value > 0 ? "+" : "") + fmt(value); }
  function uuid4() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }
  function localDate() {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  }

  // --- IndexedDB, shared with door-records.js (window.PinghuDoor) -----------------------
  // openStore(name, setup): a database opened once; returns store(objectStore, mode, job),
  // which runs job(objectStore) in a transaction and resolves with its request's result.
  function openStore(name, setup) {
    var dbPromise = new Promise(function (resolve, reject) {
      var request = indexedDB.open(name, 1);
      request.onupgradeneeded = function () { setup(request.result); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return function store(objectStore, mode, job) {
      return dbPromise.then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction(objectStore, mode);
          var result = job(tx.objectStore(objectStore));
          tx.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
          tx.onerror = function () { reject(tx.error); };
        });
      });
    };
  }
  // The "queue" of this grid and login, oldest first: nothing goes under another login.
  function queueOf(store) {
    return store("queue", "readonly", function (s) { return s.getAll(); }).then(function (rows) {
      var mine = (rows || []).filter(function (row) { return row.grid === gridId && row.user === userId; });
      mine.sort(function (a, b) { return a.createdAt < b.createdAt ? -1 : 1; });
      return mine;
    });
  }
  // send() once signal has held SIGNAL_SETTLE_MS after an "online" event; onChange (if any)
  // on every change of signal.
  function whenSignalHolds(send, onChange) {
    var settle = null;
    window.addEventListener("online", function () {
      if (onChange) onChange();
      window.clearTimeout(settle);
      settle = window.setTimeout(function () { if (navigator.onLine) send(); }, SIGNAL_SETTLE_MS);
    });
    window.addEventListener("offline", function () {
      window.clearTimeout(settle);
      if (onChange) onChange();
    });
  }

  // "grids" (data by grid id) and "queue" (entries by client id).
  var store = openStore("pinghu-door", function (db) {
    db.createObjectStore("grids");
    db.createObjectStore("queue", { keyPath: "clientId" });
  });
  function loadQueue() {
    return queueOf(store).then(function (rows) { queue = rows; });
  }
  function putEntry(entry) { return store("queue", "readwrite", function (s) { s.put(entry); }); }
  function dropEntry(clientId) { return store("queue", "readwrite", function (s) { s["delete"](clientId); }); }

  // --- Data -----------------------------------------------------------------------------
  function loadData() {
    return store("grids", "readonly", function (s) { return s.get(gridId); }).then(function (saved) {
      if (saved) data = saved;
    });
  }
  function fetchData() {
    if (!dataUrl || !navigator.onLine) return Promise.resolve();
    return fetch(dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("json") < 0) throw new Error("data");
        return response.json();
      })
      .then(function (fresh) {
        data = fresh;
        return store("grids", "readwrite", function (s) { s.put(fresh, gridId); });
      })
      .catch(function () { /* no signal: the copy on the phone stays */ });
  }

  function household(id) {
    if (!data) return null;
    for (var i = 0; i < data.households.length; i++) if (String(data.households[i].id) === String(id)) return data.households[i];
    return null;
  }
  function itemOf(standardId, itemId) {
    var standard = data && data.standards[standardId];
    if (!standard) return null;
    for (var c = 0; c < standard.categories.length; c++) {
      var items = standard.categories[c].items;
      for (var i = 0; i < items.length; i++) if (String(items[i].id) === String(itemId)) return items[i];
    }
    return null;
  }
  function waitingFor(householdId) {
    return queue.filter(function (e) { return e.status === "waiting" && String(e.household) === String(householdId); });
  }
  /* Room left under the item's caps: the server's sums plus what waits on the phone. */
  function room(h, item) {
    var used = (data.capUsed[h.id + "-" + item.id] || ["0", "0"]).map(num);
    var sign = item.add ? 1 : -1;
    var month = Math.max(0, used[0] * sign), year = Math.max(0, used[1] * sign);
    waitingFor(h.id).forEach(function (e) {
      if (String(e.item) === String(item.id)) { month += num(e.points); year += num(e.points); }
    });
    var left = {};
    if (item.capMonth !== null) left.month = Math.max(0, num(item.capMonth) - month);
    if (item.capYear !== null) left.year = Math.max(0, num(item.capYear) - year);
    return left;
  }

  // --- Drawing --------------------------------------------------------------------------
  function drawStatus() {
    var waiting = queue.filter(function (e) { return e.status === "waiting"; }).length;
    var refused = queue.filter(function (e) { return e.status === "refused"; });
    $("door-network").textContent = navigator.onLine ? T.online : T.offline;
    $("door-network").className = "door-network " + (navigator.onLine ? "is-online" : "is-offline");
    $("door-counts").textContent = sending ? T.sending : T.waiting + " " + waiting + (refused.length ? " · " + T.refused + " " + refused.length : "");
    $("door-counts").dataset.waiting = waiting;
    $("door-send").hidden = !(waiting && navigator.onLine && !sending) || needsLogin;
    $("door-login").hidden = !needsLogin;
    if ($("door-problem")) {
      $("door-problem").textContent = problem;
      $("door-problem").hidden = !problem;
    }
    var list = $("door-refused-list");
    list.textContent = "";
    refused.forEach(function (e) {
      var li = entryLine(e);
      li.classList.add("is-refused");
      (e.errors || []).forEach(function (error) { li.appendChild(el("div", "door-reason", error.message)); });
      var dismiss = el("button", "btn door-dismiss", T.dismiss);
      dismiss.type = "button";
      dismiss.addEventListener("click", function () {
        dropEntry(e.clientId).then(loadQueue).then(draw);
      });
      li.appendChild(dismiss);
      list.appendChild(li);
    });
    $("door-refused").hidden = !refused.length;
  }

  function entryLine(e) {
    var li = el("li", "door-entry-line");
    li.dataset.clientId = e.clientId;
    li.appendChild(el("span", "door-entry-name", e.label + " · " + e.itemName));
    li.appendChild(el("span", e.add ? "positive" : "negative", (e.add ? "+" : "-") + fmt(num(e.points))));
    if (e.note) li.appendChild(el("span", "door-entry-note", e.note));
    if (e.photo) li.appendChild(el("span", "door-badge", T.photoTaken));
    li.appendChild(el("span", "door-badge is-" + e.status, e.status === "waiting" ? T.waiting : T.refused));
    return li;
  }

  function drawList() {
    var list = $("door-households");
    if (!list) return;
    list.textContent = "";
    $("door-empty").hidden = !!data;
    if (!data) { $("door-summary").textContent = ""; return; }
    var notVisited = 0;
    data.households.forEach(function (h) {
      var waiting = waitingFor(h.id).length;
      var visited = h.visited || waiting > 0;
      if (!visited) notVisited += 1;
      var li = el("li");
      var a = el("a", "door-row" + (visited ? "" : " is-not-visited"));
      a.href = "#h" + h.id;
      a.id = "door-row-" + h.id;
      var who = el("span", "door-row-who");
      who.appendChild(el("strong", null, h.number + " " + h.head));
      who.appendChild(el("span", "muted", h.cooperative));
      a.appendChild(who);
      var figures = el("span", "door-row-figures");
      figures.appendChild(el("span", "door-row-month", T.month + " " + (h.monthPoints || "0")));
      figures.appendChild(el("span", "door-row-year", T.year + " " + (h.yearScore === null ? "—" : h.yearScore)));
      a.appendChild(figures);
      var badges = el("span", "door-row-badges");
      badges.appendChild(el("span", "door-badge " + (visited ? "is-visited" : "is-not-visited"), visited ? T.visited : T.notVisited));
      if (waiting) badges.appendChild(el("span", "door-badge is-waiting", T.waiting + " " + waiting));
      if (h.closed) badges.appendChild(el("span", "door-badge", T.closed));
      // 整改: an open rectification, red once past its due date (ISO dates compare as text).
      if (h.rectifyDue) badges.appendChild(el("span", "door-badge door-rectify " + (h.rectifyDue < data.today ? "is-refused" : "is-pending"), T.rectifyDue + " " + h.rectifyDue.slice(5)));
      a.appendChild(badges);
      li.appendChild(a);
      list.appendChild(li);
    });
    $("door-summary").textContent = data.month + " · " + T.notVisited + " " + notVisited + " / " + data.households.length;
  }

  function drawHousehold(h) {
    $("door-household-title").textContent = h.number + " " + h.head;
    $("door-household-meta").textContent = h.cooperative;
    var queued = waitingFor(h.id).reduce(function (sum, e) { return sum + (e.add ? 1 : -1) * num(e.points); }, 0);
    var monthBox = $("door-month-points");
    monthBox.textContent = h.monthPoints || "0";
    if (queued) monthBox.appendChild(el("small", "door-score-waiting", signed(queued) + " " + T.waiting));
    $("door-year-score").textContent = h.yearScore === null ? "—" : h.yearScore;
    $("door-card-link").href = h.cardUrl;
    var rectify = $("door-rectify-link");
    if (rectify) {
      rectify.hidden = !h.rectifyUrl;
      if (h.rectifyUrl) { rectify.href = h.rectifyUrl; rectify.textContent = T.rectifyDue + " " + h.rectifyDue + " · " + T.reinspect; }
    }
    var note = $("door-household-note");
    var standard = h.standard !== null && data.standards[h.standard];
    note.hidden = !(h.closed || !standard);
    note.textContent = h.closed ? T.closed : standard ? "" : T.noStandard;
    var items = $("door-items");
    items.textContent = "";
    if (standard && !h.closed) {
      standard.categories.forEach(function (category) {
        var section = el("section", "door-category");
        section.appendChild(el("h2", null, category.name));
        var grid = el("div", "door-item-grid");
        category.items.forEach(function (item) {
          var left = room(h, item);
          var full = left.month === 0 || left.year === 0;
          var button = el("button", "door-item " + (item.add ? "is-add" : "is-deduct") + (item.veto ? " is-veto" : ""));
          button.type = "button";
          button.dataset.item = item.id;
          button.disabled = full;
          button.appendChild(el("span", "door-item-name", item.name));
          var range = item.min === item.max ? item.min : item.min + "–" + item.max;
          button.appendChild(el("span", "door-item-range", (item.add ? "+" : "-") + range + " " + T.points));
          var caps = [];
          if (left.month !== undefined) caps.push(T.leftMonth + " " + fmt(left.month));
          if (left.year !== undefined) caps.push(T.leftYear + " " + fmt(left.year));
          if (full) caps = [T.noRoom];
          if (caps.length) button.appendChild(el("span", "door-item-room", caps.join(" · ")));
          if (item.veto) button.appendChild(el("span", "door-badge is-veto", T.veto));
          button.addEventListener("click", function () { openEntry(h, item); });
          grid.appendChild(button);
        });
        section.appendChild(grid);
        items.appendChild(section);
      });
    }
    var queueList = $("door-household-queue");
    queueList.textContent = "";
    queue.filter(function (e) { return String(e.household) === String(h.id); }).forEach(function (e) {
      queueList.appendChild(entryLine(e));
    });
    var events = $("door-household-events");
    events.textContent = "";
    data.events.filter(function (ev) { return ev.household === h.id; }).forEach(function (ev) {
      var li = el("li", "door-entry-line");
      li.appendChild(el("span", "door-entry-name", ev.occurredOn + " · " + ev.itemName));
      li.appendChild(el("span", ev.points.charAt(0) === "-" ? "negative" : "positive", ev.points));
      if (ev.note) li.appendChild(el("span", "door-entry-note", ev.note));
      li.appendChild(el("span", "door-badge is-" + ev.state, T[ev.state] || ev.state));
      events.appendChild(li);
    });
  }

  function draw() {
    drawStatus();
    var match = /^#h(\d+)$/.exec(window.location.hash);
    var h = match && household(match[1]);
    $("door-list").hidden = !!h;
    $("door-household").hidden = !h;
    if (h) {
      if (current && String(current.household.id) !== String(h.id)) closeEntry();
      drawHousehold(h);
    } else {
      if (match && data) $("door-summary").textContent = T.notFound;
      closeEntry();
      drawList();
    }
  }

  // --- One entry ------------------------------------------------------------------------
  function openEntry(h, item) {
    current = { household: h, item: item };
    photoBlob = null;
    var form = $("door-entry");
    form.dataset.photo = "";
    form.hidden = false;
    $("door-entry-title").textContent = (item.add ? T.add : T.deduct) + " · " + item.name;
    var rangeText = T.range + " " + item.min + "–" + item.max;
    var left = room(h, item);
    if (left.month !== undefined) rangeText += " · " + T.leftMonth + " " + fmt(left.month);
    if (left.year !== undefined) rangeText += " · " + T.leftYear + " " + fmt(left.year);
    $("door-entry-range").textContent = rangeText;
    $("door-entry-veto").hidden = !item.veto;
    var points = $("door-points");
    points.min = item.min;
    points.max = item.max;
    points.value = item["default"];
    $("door-note").value = "";
    $("door-note").required = !item.add;
    $("door-note-label").textContent = item.add ? T.note : T.note + " (" + T.reasonRequired + ")";
    $("door-photo").value = "";
    $("door-photo-preview").hidden = true;
    $("door-entry-errors").textContent = "";
    form.classList.toggle("is-add", item.add);
    form.classList.toggle("is-deduct", !item.add);
    // In place of the items (and the lists below them): the household's name and figures
    // stay above, the form follows, its save button sticks to the bottom of the screen.
    $("door-items").hidden = true;
    $("door-household-more").hidden = true;
    window.scrollTo(0, 0);
  }
  function closeEntry() {
    current = null;
    photoBlob = null;
    if ($("door-entry")) {
      $("door-entry").hidden = true;
      $("door-entry").dataset.photo = "";
      $("door-items").hidden = false;
      $("door-household-more").hidden = false;
    }
  }

  function compress(file, preview) {
    var decode = window.createImageBitmap ? window.createImageBitmap(file) : Promise.reject(new Error("decode"));
    return decode.then(function (bitmap) {
      var scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = preview || $("door-photo-preview");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      canvas.hidden = false;
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", PHOTO_QUALITY); });
    });
  }

  function entryErrors(item, points, note, left) {
    var errors = [];
    if (isNaN(points) || points < num(item.min) || points > num(item.max) || Math.round(points * 10) !== points * 10) {
      errors.push(T.range + " " + item.min + "–" + item.max);
    } else if ((left.month !== undefined && points > left.month) || (left.year !== undefined && points > left.year)) {
      errors.push(T.noRoom);
    }
    if (!item.add && !note) errors.push(item.veto ? T.vetoReason : T.reasonRequired);
    if (item.photo && !photoBlob) errors.push(T.photoRequired);
    return errors;
  }

  function saveEntry(event) {
    event.preventDefault();
    if (!current) return;
    var h = current.household, item = current.item;
    var points = parseFloat($("door-points").value);
    var note = $("door-note").value.trim();
    var errors = entryErrors(item, points, note, room(h, item));
    var list = $("door-entry-errors");
    list.textContent = "";
    if (errors.length) {
      errors.forEach(function (message) { list.appendChild(el("li", null, message)); });
      return;
    }
    var entry = {
      clientId: uuid4(),
      grid: gridId,
      user: userId,
      household: h.id,
      label: h.number + " " + h.head,
      item: item.id,
      itemName: item.name,
      add: item.add,
      points: fmt(points),
      note: note,
      occurredOn: localDate(),
      photo: photoBlob,
      status: "waiting",
      errors: [],
      createdAt: new Date().toISOString()
    };
    putEntry(entry).then(loadQueue).then(function () {
      closeEntry();
      draw();
      send();
    });
  }

  // --- Sending the queue ----------------------------------------------------------------
  function csrfToken() {
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : root.dataset.csrf;
  }

  // POST a chunk of a queue (shared with door-records.js): resolves with the server's
  // answer; rejects with error.login when the session ended (sent to the login page), or
  // with error.reason when the server said why it refused the send as a whole.
  function postQueue(url, form) {
    return fetch(url, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
      if (response.redirected || response.status === 403 || (response.ok && !json)) {
        var login = new Error("login");
        login.login = true;
        throw login;
      }
      if (!response.ok) {
        var failed = new Error("sync " + response.status);
        if (!json) throw failed;
        return response.json().then(function (answer) {
          failed.reason = answer.error || answer.detail || "";
          throw failed;
        });
      }
      return response.json();
    });
  }

  function sendChunk(chunk) {
    var form = new FormData();
    form.append("entries", JSON.stringify(chunk.map(function (e) {
      return { clientId: e.clientId, household: e.household, item: e.item, points: e.points, note: e.note, occurredOn: e.occurredOn };
    })));
    chunk.forEach(function (e) { if (e.photo) form.append("photo-" + e.clientId, e.photo, "photo.jpg"); });
    return postQueue(syncUrl, form).then(function (answer) {
      problem = "";
      return answer;
    }, function (error) {
      if (error.login) needsLogin = true; // sent to the login page: the queue stays on the phone
      if ("reason" in error) problem = error.reason; // the server's own: shown, the queue kept
      throw error;
    }).then(function (answer) {
      var byId = {};
      chunk.forEach(function (e) { byId[e.clientId] = e; });
      return Promise.all(answer.results.map(function (result) {
        var e = byId[result.clientId];
        if (!e) return null;
        if (result.status === "refused") {
          e.status = "refused";
          e.errors = result.errors;
          return putEntry(e);
        }
        return dropEntry(e.clientId); // created now, or already recorded by an earlier send
      }));
    });
  }

  function send() {
    if (sending || !navigator.onLine) return Promise.resolve();
    var waiting = queue.filter(function (e) { return e.status === "waiting"; });
    if (!waiting.length) return Promise.resolve();
    sending = true;
    drawStatus();
    var chunks = [];
    for (var i = 0; i < waiting.length; i += SEND_CHUNK) chunks.push(waiting.slice(i, i + SEND_CHUNK));
    var failed = false;
    return chunks.reduce(function (previous, chunk) {
      return previous.then(function () {
        if (failed) return null;
        return sendChunk(chunk).catch(function () { failed = true; }); // kept: sent again later
      });
    }, Promise.resolve()).then(function () {
      sending = false;
      return loadQueue();
    }).then(fetchData).then(function () {
      draw();
      root.dataset.lastSync = new Date().toISOString();
      root.dispatchEvent(new CustomEvent("door:synced"));
    });
  }

  // What door-records.js (matters, visits, re-inspections) shares with the scores.
  window.PinghuDoor = {
    uuid4: uuid4,
    localDate: localDate,
    compress: compress,
    el: el,
    openStore: openStore,
    queueOf: queueOf,
    whenSignalHolds: whenSignalHolds,
    postQueue: postQueue
  };
  // door-records.js after it sent something: a re-inspection's return, a visit, a cleared
  // rectification badge come with the grid's data.
  root.addEventListener("door:records-sent", function () { fetchData().then(draw); });

  // --- Start ----------------------------------------------------------------------------
  $("door-entry") && $("door-entry").addEventListener("submit", saveEntry);
  $("door-entry-cancel") && $("door-entry-cancel").addEventListener("click", closeEntry);
  Array.prototype.forEach.call(document.querySelectorAll(".door-step"), function (button) {
    button.addEventListener("click", function () {
      if (!current) return;
      var input = $("door-points");
      var step = num(current.item.min) >= 1 ? 1 : 0.5;
      var value = (parseFloat(input.value) || 0) + step * parseInt(button.dataset.step, 10);
      value = Math.min(num(current.item.max), Math.max(num(current.item.min), value));
      input.value = fmt(value);
    });
  });
  $("door-photo") && $("door-photo").addEventListener("change", function (event) {
    var file = event.target.files && event.target.files[0];
    if (!file) return;
    $("door-entry").dataset.photo = "compressing";
    compress(file).then(function (blob) {
      photoBlob = blob;
      $("door-entry").dataset.photo = "ready";
    }).catch(function () {
      $("door-entry").dataset.photo = "";
      photoBlob = null;
      $("door-entry-errors").appendChild(el("li", null, T.photoRequired));
    });
  });
  $("door-send").addEventListener("click", send);
  window.addEventListener("hashchange", draw);
  whenSignalHolds(send, drawStatus);
  document.addEventListener("click", function (event) {
    var back = event.target.closest && event.target.closest(".door-back");
    if (back) { event.preventDefault(); window.location.hash = ""; }
  });

  if ("serviceWorker" in navigator && root.dataset.swUrl) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.swUrl.replace(/sw\.js$/, "") })
      .catch(function () { /* the page works online without it */ });
  }

  if (!gridId) return;
  Promise.all([loadData(), loadQueue()]).then(function () {
    draw();
    return fetchData();
  }).then(function () {
    draw();
    root.dataset.ready = "1";
    return send();
  });
})();
