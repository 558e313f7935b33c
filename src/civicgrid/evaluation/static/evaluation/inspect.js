/* A sampled site's checklist, made for a weak network.
 *
 * Each answer (result, note, photos, the phone's position and the time) becomes a draft kept in the phone's
 * localStorage before anything is sent, with its own client_uuid. Drafts are sent one at a time; an
 * accepted draft is removed, one the server refuses (e.g. too far from the site) is removed and its reason
 * shown, one that could not be sent (offline, a server error) stays and is sent again when the phone is
 * back online, when a page of the checklist is opened, or every 30 s. The server records a client_uuid once,
 * so a draft sent twice (the answer lost on the way back) is still one observation.
 * Photos are made smaller on the phone (at most 1600 px, JPEG) so that drafts fit in localStorage. */
(function () {
  "use strict";
  var KEY = "civicgridEvalDrafts";
  var list = document.getElementById("ev-checklist");
  var status = document.getElementById("ev-status");
  var position = null;
  var sending = false;

  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function store(drafts) {
    try { localStorage.setItem(KEY, JSON.stringify(drafts)); return true; } catch (e) { return false; }
  }
  function fmt(text, values) {
    return (text || "").replace(/\{(\w+)\}/g, function (_, k) { return values[k] !== undefined ? values[k] : ""; });
  }
  function say(text, kind) {
    if (!status) return;
    status.textContent = text;
    status.dataset.kind = kind || "";
  }
  function distance(lat1, lon1, lat2, lon2) {
    var r = 6371000, rad = Math.PI / 180;
    var dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    var a = Math.sin(dlat / 2) * Math.sin(dlat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dlon / 2) * Math.sin(dlon / 2);
    return 2 * r * Math.asin(Math.sqrt(a));
  }
  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function showPosition() {
    if (!status || !position) return;
    var d = Math.round(distance(position.lat, position.lon, +status.dataset.siteLat, +status.dataset.siteLon));
    var max = +status.dataset.maxDistance;
    say(fmt(d > max ? status.dataset.far : status.dataset.located, { m: d, max: max }), d > max ? "warn" : "ok");
  }
  function showQueue() {
    var n = load().length;
    if (!status || !n) { showPosition(); return; }
    say(fmt(navigator.onLine ? status.dataset.pending : status.dataset.offline, { n: n }), "queued");
  }

  function shrink(file) {
    return new Promise(function (resolve) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, 1600 / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        resolve(canvas.toDataURL("image/jpeg", 0.8));
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(null); };
      img.src = url;
    });
  }
  function blobOf(dataUrl) {
    var parts = dataUrl.split(","), bytes = atob(parts[1]), out = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) out[i] = bytes.charCodeAt(i);
    return new Blob([out], { type: "image/jpeg" });
  }

  function itemOf(draft) {
    if (!list || String(draft.roundSite) !== list.dataset.roundSite) return null;
    return document.getElementById("std-" + draft.standard);
  }
  function mark(draft, state, text) {
    var li = itemOf(draft);
    if (!li) return;
    var error = li.querySelector("[data-error]");
    var recorded = li.querySelector("[data-recorded]");
    li.classList.remove("pending", "refused");
    if (state === "pending") {
      li.classList.add("pending");
      recorded.textContent = "";
      var badge = document.createElement("span");
      badge.className = "badge amber";
      badge.textContent = text;
      recorded.appendChild(badge);
    } else if (state === "refused") {
      li.classList.add("refused");
      error.hidden = false;
      error.textContent = text;
    } else if (state === "saved") {
      // Recorded: the answer stands (a second look is a re-inspection, through the task).
      li.classList.remove("green", "red", "grey");
      li.classList.add("done", draft.colour);
      var line = document.createElement("p");
      line.className = "ev-recorded";
      line.setAttribute("data-recorded", "");
      var b = document.createElement("span");
      b.className = "badge " + draft.colour;
      b.textContent = text;
      line.appendChild(b);
      var form = li.querySelector("form");
      if (form) form.replaceWith(line); else li.appendChild(line);
      var done = list.querySelectorAll(".ev-standard.done").length;
      var progress = document.getElementById("ev-progress");
      if (progress) progress.textContent = String(done);
    }
  }

  var COLOUR = { pass: "green", fail: "red", na: "grey" };
  function sendOne(draft) {
    var body = new FormData();
    ["standard", "result", "note", "lat", "lon", "at"].forEach(function (k) { body.append(k, draft[k]); });
    body.append("client_uuid", draft.uuid);
    (draft.photos || []).forEach(function (p, i) { body.append("photos", blobOf(p), "photo-" + (i + 1) + ".jpg"); });
    return fetch(draft.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf() },
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) { return { status: r.status, json: json }; });
    });
  }
  function drop(uuid) {
    store(load().filter(function (d) { return d.uuid !== uuid; }));
  }
  function flush() {
    if (sending || !navigator.onLine) { showQueue(); return Promise.resolve(); }
    var drafts = load();
    if (!drafts.length) { showQueue(); return Promise.resolve(); }
    sending = true;
    showQueue();
    var draft = drafts[0];
    return sendOne(draft).then(function (answer) {
      if (answer.status === 200) {
        drop(draft.uuid);
        draft.colour = COLOUR[answer.json.result] || "grey";
        mark(draft, "saved", answer.json.result_label || (status && status.dataset.saved));
      } else if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 && answer.status !== 429) {
        // Refused for good (too far, not this inspector's site, …): the answer must be given again.
        drop(draft.uuid);
        var error = answer.json.error || {};
        mark(draft, "refused", (status && status.dataset.refused) + "：" + (error.message || answer.status));
      } else {
        throw new Error("retry later");
      }
      sending = false;
      return flush();
    }).catch(function () {
      sending = false;
      showQueue();
    });
  }

  function whenLocated() {
    return new Promise(function (resolve) {
      if (position) { resolve(position); return; }
      if (!navigator.geolocation) { resolve(null); return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        position = { lat: p.coords.latitude, lon: p.coords.longitude };
        resolve(position);
      }, function () { resolve(null); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 });
    });
  }

  if (list) {
    if (navigator.geolocation) {
      navigator.geolocation.watchPosition(function (p) {
        position = { lat: p.coords.latitude, lon: p.coords.longitude };
        if (!load().length) showPosition();
      }, function () {
        if (!position && status) say(status.dataset.noPosition, "warn");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
    } else if (status) {
      say(status.dataset.noPosition, "warn");
    }
    list.querySelectorAll("form[data-ev-answer]").forEach(function (form) {
      var photos = form.querySelector("input[type=file]");
      var count = form.querySelector("[data-photo-count]");
      photos.addEventListener("change", function () { count.textContent = photos.files.length ? "(" + photos.files.length + ")" : ""; });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var error = form.querySelector("[data-error]");
        var result = form.querySelector("input[name=result]:checked");
        if (!result) {
          error.hidden = false;
          error.textContent = error.dataset.noResult || "";
          return;
        }
        var button = form.querySelector("[data-save]");
        button.disabled = true;
        Promise.all([whenLocated(), Promise.all(Array.prototype.map.call(photos.files, shrink))]).then(function (got) {
          button.disabled = false;
          var here = got[0];
          if (!here) {
            error.hidden = false;
            error.textContent = status ? status.dataset.noPosition : "";
            return;
          }
          var draft = {
            uuid: uuid4(), url: form.action, roundSite: list.dataset.roundSite,
            standard: form.elements.standard.value, result: result.value, note: form.elements.note.value,
            lat: here.lat.toFixed(6), lon: here.lon.toFixed(6), at: new Date().toISOString(),
            photos: got[1].filter(Boolean),
          };
          var drafts = load().filter(function (d) {
            return !(d.roundSite === draft.roundSite && d.standard === draft.standard); // the newest answer wins
          });
          drafts.push(draft);
          if (!store(drafts)) { // no room on the phone: keep the answer without its photos rather than lose it
            draft.photos = [];
            drafts[drafts.length - 1] = draft;
            store(drafts);
          }
          error.hidden = true;
          form.reset();
          count.textContent = "";
          mark(draft, "pending", status ? status.dataset.draft : "…");
          flush();
        });
      });
    });
    load().forEach(function (d) { mark(d, "pending", status ? status.dataset.draft : "…"); });
  }
  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", showQueue);
  setInterval(flush, 30000);
  flush();
})();
