/* The door app's other records, made without signal (issue 25, point 4): a matter (议事)
 * for a household or for the grid's 议站, a progress note (办理) on a matter in hand, a
 * visit (走访) and a re-inspection (整改复查).
 *
 * Beside door.js (which scores) on the same page, with its own IndexedDB database through
 * door.js's helpers (PinghuDoor: openStore, queueOf, whenSignalHolds) ("pinghu-door-records": the grid's matters in hand and open rectifications from
 * data-data-url, and the queue). Each record gets a client-made id (UUID) and its photo is
 * compressed like a score's (PinghuDoor.compress); the queue goes to data-sync-url when there
 * is signal; the server records each record once however often it is sent, and answers a
 * refused one with its reasons, which stay on the phone until the leader dismisses them.
 * Every text comes from the server (data-t-* attributes and the template).
 */
(function () {
  "use strict";
  var door = document.getElementById("door");
  var root = document.getElementById("door-records");
  if (!door || !root || !door.dataset.grid || !window.PinghuDoor) return;
  var shared = window.PinghuDoor;
  var T = root.dataset;
  var gridId = door.dataset.grid;
  var userId = door.dataset.user;
  var SEND_CHUNK = 10;

  var work = null; // {matters: [...], rectifications: [...]} as last fetched
  var queue = [];
  var current = null; // the record being filled in
  var photoBlob = null;
  var sending = false;
  var sent = false; // something of the last send was recorded (or found recorded)
  var problem = "";

  function $(id) { return document.getElementById(id); }
  var el = shared.el;
  function button(text, className, onClick) {
    var node = el("button", "btn " + (className || ""), text);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  // --- IndexedDB (PinghuDoor.openStore): "work" (by grid id) and "queue" (by client id) --
  var store = shared.openStore("pinghu-door-records", function (db) {
    db.createObjectStore("work");
    db.createObjectStore("queue", { keyPath: "clientId" });
  });
  function loadQueue() {
    return shared.queueOf(store).then(function (rows) { queue = rows; });
  }
  function putRecord(record) { return store("queue", "readwrite", function (s) { s.put(record); }); }
  function dropRecord(clientId) { return store("queue", "readwrite", function (s) { s["delete"](clientId); }); }
  function loadWork() {
    return store("work", "readonly", function (s) { return s.get(gridId); }).then(function (saved) {
      if (saved) work = saved;
    });
  }
  function fetchWork() {
    if (!navigator.onLine) return Promise.resolve();
    return fetch(root.dataset.dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("json") < 0) throw new Error("data");
        return response.json();
      })
      .then(function (fresh) {
        work = fresh;
        return store("work", "readwrite", function (s) { s.put(fresh, gridId); });
      })
      .catch(function () { /* no signal: the copy on the phone stays */ });
  }

  function currentHousehold() {
    var match = /^#h(\d+)$/.exec(window.location.hash);
    return match ? parseInt(match[1], 10) : null;
  }
  function householdLabel(id) {
    var row = document.getElementById("door-row-" + id);
    var strong = row && row.querySelector("strong");
    return strong ? strong.textContent : $("door-household-title").textContent;
  }
  function waiting() { return queue.filter(function (r) { return r.status === "waiting"; }); }
  function queued(kind, key, value) {
    return waiting().some(function (r) { return r.kind === kind && String(r[key]) === String(value); });
  }

  // --- Drawing --------------------------------------------------------------------------
  function recordLine(record) {
    var li = el("li", "door-entry-line" + (record.status === "refused" ? " is-refused" : ""));
    li.dataset.clientId = record.clientId;
    li.dataset.kind = record.kind;
    li.appendChild(el("span", "door-entry-name", record.title));
    if (record.summary) li.appendChild(el("span", "door-entry-note", record.summary));
    if (record.photo) li.appendChild(el("span", "door-badge", T.tPhotoTaken));
    li.appendChild(el("span", "door-badge is-" + record.status, record.status === "waiting" ? T.tWaiting : T.tRefused));
    (record.errors || []).forEach(function (error) { li.appendChild(el("div", "door-reason", error.message)); });
    if (record.status === "refused") {
      li.appendChild(button(T.tDismiss, "door-dismiss", function () {
        dropRecord(record.clientId).then(loadQueue).then(draw);
      }));
    }
    return li;
  }

  function drawQueue() {
    var count = waiting().length;
    var refused = queue.length - count;
    var counts = $("door-records-counts");
    counts.dataset.waiting = count;
    counts.textContent = sending ? T.tSending : T.tQueue + " " + T.tWaiting + " " + count + (refused ? " · " + T.tRefused + " " + refused : "");
    counts.hidden = !queue.length && !sending;
    var box = $("door-records-problem");
    box.textContent = problem;
    box.hidden = !problem;
    if (problem === T.tLogin && $("door-login")) {
      // The way back: the login page returns to the app, which then sends the queue.
      var link = el("a", "btn btn-primary", T.tLoginLink);
      link.href = $("door-login").href;
      box.appendChild(document.createTextNode(" "));
      box.appendChild(link);
    }
    var list = $("door-records-queue");
    list.textContent = "";
    queue.forEach(function (record) { list.appendChild(recordLine(record)); });
    $("door-records-outbox").hidden = !queue.length && !problem;
  }

  function drawGrid() {
    var list = $("door-records-matters");
    list.textContent = "";
    var matters = (work && work.matters) || [];
    matters.forEach(function (matter) {
      var li = el("li", "door-entry-line");
      li.dataset.matter = matter.id;
      li.appendChild(el("span", "door-entry-name", "#" + matter.id + " " + matter.text));
      li.appendChild(el("span", "door-badge is-pending", matter.state + (matter.dueOn ? " · " + T.tDue + " " + matter.dueOn : "")));
      if (queued("progress", "matter", matter.id)) li.appendChild(el("span", "door-badge is-waiting", T.tWaiting));
      li.appendChild(button(T.tProgress, "door-record-progress", function () {
        open({ kind: "progress", matter: matter.id, title: T.tProgress + " · #" + matter.id + " " + matter.text });
      }));
      list.appendChild(li);
    });
    $("door-records-none").hidden = !!matters.length;
  }

  function drawHousehold(id) {
    var box = $("door-records-rectification");
    box.textContent = "";
    var open_ = ((work && work.rectifications) || []).filter(function (r) { return r.household === id; });
    open_.forEach(function (rectification) {
      var line = el("div", "door-record-rectification");
      line.dataset.rectification = rectification.id;
      line.appendChild(el("p", null, rectification.deductedOn + " “" + rectification.item + "” -" + rectification.points + " · " + T.tDue + " " + rectification.dueOn + " · " + rectification.refund));
      if (queued("inspection", "rectification", rectification.id)) {
        line.appendChild(el("span", "door-badge is-waiting", T.tInspected));
      } else {
        line.appendChild(button(T.tInspect, "btn-primary door-record-inspect", function () {
          open({ kind: "inspection", household: id, rectification: rectification.id, title: T.tInspect + " · " + householdLabel(id) + " · " + rectification.item });
        }));
      }
      box.appendChild(line);
    });
    box.hidden = !open_.length;
    $("door-record-visit").classList.toggle("is-done", queued("visit", "household", id));
  }

  function draw() {
    drawQueue();
    drawGrid();
    var id = currentHousehold();
    if (id !== null) drawHousehold(id);
  }

  // --- One record -----------------------------------------------------------------------
  function open(record) {
    current = record;
    photoBlob = null;
    var form = $("door-record");
    form.reset();
    form.dataset.kind = record.kind;
    form.dataset.photo = "";
    $("door-record-title").textContent = record.title;
    $("door-record-errors").textContent = "";
    $("door-record-preview").hidden = true;
    $("door-record-text-row").hidden = record.kind !== "matter";
    $("door-record-place-row").hidden = record.kind !== "matter";
    $("door-record-note-row").hidden = record.kind === "matter";
    $("door-record-results").hidden = record.kind !== "inspection";
    $("door-record-dialog").showModal();
    var first = record.kind === "matter" ? $("door-record-text") : record.kind === "inspection" ? form.querySelector("input[name=result]") : $("door-record-note");
    first.focus();
  }
  function close() {
    current = null;
    photoBlob = null;
    if ($("door-record-dialog").open) $("door-record-dialog").close();
  }

  function save(event) {
    event.preventDefault();
    if (!current) return;
    var form = $("door-record");
    var text = $("door-record-text").value.trim();
    var note = $("door-record-note").value.trim();
    var checked = form.querySelector("input[name=result]:checked");
    var errors = [];
    if (current.kind === "matter" && !text) errors.push(T.tNeedText);
    if (current.kind === "progress" && !note) errors.push(T.tNeedNote);
    if (current.kind === "inspection" && !checked) errors.push(T.tNeedResult);
    var list = $("door-record-errors");
    list.textContent = "";
    if (errors.length) {
      errors.forEach(function (message) { list.appendChild(el("li", null, message)); });
      return;
    }
    var record = {
      clientId: shared.uuid4(),
      grid: gridId,
      user: userId,
      kind: current.kind,
      household: current.household || null,
      matter: current.matter || null,
      rectification: current.rectification || null,
      text: text,
      place: $("door-record-place").value.trim(),
      note: note,
      result: checked ? checked.value : "",
      occurredOn: shared.localDate(),
      photo: photoBlob,
      title: current.title,
      summary: current.kind === "matter" ? text : checked ? checked.parentNode.textContent.trim() + (note ? " · " + note : "") : note,
      status: "waiting",
      errors: [],
      createdAt: new Date().toISOString()
    };
    putRecord(record).then(loadQueue).then(function () {
      close();
      draw();
      send();
    });
  }

  // --- Sending the queue ----------------------------------------------------------------
  function sendChunk(chunk) {
    var form = new FormData();
    form.append("records", JSON.stringify(chunk.map(function (r) {
      return {
        clientId: r.clientId, kind: r.kind, grid: r.grid, household: r.household, matter: r.matter,
        rectification: r.rectification, text: r.text, place: r.place, note: r.note, result: r.result,
        occurredOn: r.occurredOn
      };
    })));
    chunk.forEach(function (r) { if (r.photo) form.append("photo-" + r.clientId, r.photo, "photo.jpg"); });
    return shared.postQueue(root.dataset.syncUrl, form).then(function (answer) {
      problem = "";
      return answer;
    }, function (error) {
      if (error.login) problem = T.tLogin; // the session ended: the queue stays on the phone
      if ("reason" in error) problem = error.reason;
      throw error;
    }).then(function (answer) {
      var byId = {};
      chunk.forEach(function (r) { byId[r.clientId] = r; });
      return Promise.all(answer.results.map(function (result) {
        var record = byId[result.clientId];
        if (!record) return null;
        if (result.status === "refused") {
          record.status = "refused";
          record.errors = result.errors;
          return putRecord(record);
        }
        sent = true;
        return dropRecord(record.clientId); // created now, or already recorded by an earlier send
      }));
    });
  }

  function send() {
    if (sending || !navigator.onLine) return Promise.resolve();
    var ready = waiting();
    if (!ready.length) return Promise.resolve();
    sending = true;
    drawQueue();
    var chunks = [];
    for (var i = 0; i < ready.length; i += SEND_CHUNK) chunks.push(ready.slice(i, i + SEND_CHUNK));
    var failed = false;
    sent = false;
    return chunks.reduce(function (previous, chunk) {
      return previous.then(function () {
        if (failed) return null;
        return sendChunk(chunk).catch(function () { failed = true; }); // kept: sent again later
      });
    }, Promise.resolve()).then(function () {
      sending = false;
      return loadQueue();
    }).then(fetchWork).then(function () {
      draw();
      if (sent) door.dispatchEvent(new CustomEvent("door:records-sent"));
      root.dataset.lastSync = new Date().toISOString();
    });
  }

  // --- Start ----------------------------------------------------------------------------
  $("door-record").addEventListener("submit", save);
  $("door-record-cancel").addEventListener("click", close);
  $("door-record-dialog").addEventListener("close", function () { current = null; photoBlob = null; });
  $("door-record-grid-matter").addEventListener("click", function () {
    open({ kind: "matter", title: T.tGridMatter });
  });
  $("door-record-matter").addEventListener("click", function () {
    var id = currentHousehold();
    open({ kind: "matter", household: id, title: T.tMatter + " · " + householdLabel(id) });
  });
  $("door-record-visit").addEventListener("click", function () {
    var id = currentHousehold();
    open({ kind: "visit", household: id, title: T.tVisit + " · " + householdLabel(id) });
  });
  $("door-record-photo").addEventListener("change", function (event) {
    var file = event.target.files && event.target.files[0];
    if (!file) return;
    var form = $("door-record");
    form.dataset.photo = "compressing";
    shared.compress(file, $("door-record-preview")).then(function (blob) {
      photoBlob = blob;
      form.dataset.photo = "ready";
    }).catch(function () {
      form.dataset.photo = "";
      photoBlob = null;
      $("door-record-errors").appendChild(el("li", null, T.tPhotoFailed));
    });
  });
  window.addEventListener("hashchange", draw);
  shared.whenSignalHolds(send);

  Promise.all([loadWork(), loadQueue()]).then(function () {
    draw();
    return fetchWork();
  }).then(function () {
    draw();
    root.dataset.ready = "1";
    return send();
  });
})();
