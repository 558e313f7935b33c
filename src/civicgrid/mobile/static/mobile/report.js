/* The report page (随手拍): map picker, device location, photos with previews, category search,
 * a draft kept in localStorage, and a submit that survives a flaky network.
 *
 * The form is posted with fetch to the page's own URL (Accept: application/json). On a network
 * failure the same data is sent again with the same idempotency key, so the server creates one
 * case however often the retry button is pressed (a response lost after the case was created is
 * answered with that case). Without JavaScript the form posts the ordinary way. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var msg = form.dataset;
  var maxPhotos = parseInt(msg.maxPhotos || "9", 10);
  var latInput = form.elements.lat, lonInput = form.elements.lon;
  var keyInput = form.elements.idempotency_key;
  var draftKey = "civicgrid.report-draft." + (msg.draftKey || "app");
  var DRAFT_FIELDS = ["description", "address", "lat", "lon", "category", "kind", "idempotency_key", "source_ref"];

  // --- errors next to the fields ------------------------------------------------------------------
  function errorBox(field) {
    return document.getElementById("error-" + field) || document.getElementById("error-__all__");
  }
  function setError(field, text) {
    var box = errorBox(field);
    if (!box) return;
    box.textContent = text || "";
    if (box.id === "error-__all__") box.hidden = !text;
    var wrap = document.getElementById("field-" + field);
    if (wrap) {
      wrap.classList.toggle("invalid", !!text);
      wrap.querySelectorAll("input, select, textarea").forEach(function (control) {
        if (text) control.setAttribute("aria-invalid", "true"); else control.removeAttribute("aria-invalid");
      });
    }
  }
  function clearErrors() {
    form.querySelectorAll(".field-error").forEach(function (box) { box.textContent = ""; });
    form.querySelectorAll(".field.invalid").forEach(function (wrap) { wrap.classList.remove("invalid"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (control) { control.removeAttribute("aria-invalid"); });
    setError("__all__", "");
  }
  // The control to put the focus on when a field is refused.
  var CONTROL = { description: "id_description", location: "id_lat", category: "id_category", kind: "id_kind",
                  address: "id_address", photos: "id_photos_album" };
  function showErrors(errors) {
    var first = null;
    Object.keys(errors).forEach(function (field) {
      setError(field, errors[field].join(" "));
      if (!first) first = field;
    });
    if (!first) return;
    var box = errorBox(first), control = document.getElementById(CONTROL[first]);
    if (box) box.scrollIntoView({ block: "center" });
    if (control && control.offsetParent !== null) control.focus({ preventScroll: true });
  }

  // --- the draft ----------------------------------------------------------------------------------
  function saveDraft() {
    try {
      var draft = { savedAt: Date.now() };
      DRAFT_FIELDS.forEach(function (name) { if (form.elements[name]) draft[name] = form.elements[name].value; });
      localStorage.setItem(draftKey, JSON.stringify(draft));
    } catch (e) { /* private mode or full storage: the page still works */ }
  }
  function clearDraft() {
    try { localStorage.removeItem(draftKey); } catch (e) { /* ignore */ }
  }
  function restoreDraft() {
    var draft = null;
    try { draft = JSON.parse(localStorage.getItem(draftKey) || "null"); } catch (e) { draft = null; }
    if (!draft || msg.bound) return;  // a form the server sent back keeps the server's values
    if (Date.now() - (draft.savedAt || 0) > 7 * 24 * 3600 * 1000) { clearDraft(); return; }
    // Arriving from a scanned code: an older draft about another place does not apply.
    if (msg.prefilled && (draft.source_ref || "") !== (form.elements.source_ref.value || "")) return;
    if (!draft.description && !draft.lat) return;
    DRAFT_FIELDS.forEach(function (name) {
      var el = form.elements[name];
      if (el && draft[name] !== undefined && draft[name] !== null && draft[name] !== "") el.value = draft[name];
    });
    document.getElementById("draft-notice").hidden = false;
  }
  restoreDraft();
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  var discard = document.getElementById("draft-discard");
  if (discard) discard.addEventListener("click", function () {
    clearDraft();
    window.location.replace(window.location.pathname);
  });
  document.body.addEventListener("cg:joined", clearDraft);

  // --- the map ------------------------------------------------------------------------------------
  var mapEl = document.getElementById("report-map"), map = null, marker = null;
  function placeChanged() { document.body.dispatchEvent(new CustomEvent("cg:place")); }
  function showMarker(lat, lon, zoomIn) {
    if (!map) return;
    var point = L.latLng(lat, lon);
    if (marker) marker.setLatLng(point); else marker = L.marker(point, { keyboard: false }).addTo(map);
    if (zoomIn) map.setView(point, Math.max(map.getZoom(), 16));
  }
  function setPoint(lat, lon, zoomIn) {
    latInput.value = lat.toFixed(6);
    lonInput.value = lon.toFixed(6);
    showMarker(lat, lon, zoomIn);
    setError("location", "");
    saveDraft();
    placeChanged();
  }
  if (mapEl && window.L && window.civicgridMap) {
    map = window.civicgridMap(mapEl, { tileUrl: mapEl.dataset.tileUrl || "" });
    var bounds = null;
    try { bounds = JSON.parse(mapEl.dataset.bounds || "null"); } catch (e) { bounds = null; }
    var lat0 = parseFloat(latInput.value), lon0 = parseFloat(lonInput.value);
    if (isFinite(lat0) && isFinite(lon0)) {
      map.setView([lat0, lon0], 17);
      showMarker(lat0, lon0, false);
    } else if (bounds) {
      map.fitBounds(bounds);
    }
    map.on("click", function (event) { setPoint(event.latlng.lat, event.latlng.lng, false); });
    var myCellsNode = document.getElementById("my-cells");
    if (myCellsNode) {  // a patrol: the member's own cells outlined, a warning for a place outside them
      var myCells = JSON.parse(myCellsNode.textContent);
      L.geoJSON(myCells, { interactive: false, style: { color: "#1565c0", weight: 2, fillOpacity: 0.06 } }).addTo(map);
      var outside = document.getElementById("outside-cells");
      var inRing = function (lon, lat, ring) {
        var inside = false;
        for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
          var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
          if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
        }
        return inside;
      };
      var inPolygon = function (lon, lat, rings) {
        if (!inRing(lon, lat, rings[0])) return false;
        for (var k = 1; k < rings.length; k++) if (inRing(lon, lat, rings[k])) return false;
        return true;
      };
      var inMyCells = function (lat, lon) {
        return myCells.features.some(function (f) {
          var g = f.geometry || {};
          var polygons = g.type === "MultiPolygon" ? g.coordinates : g.type === "Polygon" ? [g.coordinates] : [];
          return polygons.some(function (rings) { return inPolygon(lon, lat, rings); });
        });
      };
      var checkPlace = function () {
        var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
        if (outside) outside.hidden = !(isFinite(lat) && isFinite(lon)) || inMyCells(lat, lon);
      };
      document.body.addEventListener("cg:place", checkPlace);
      checkPlace();
    }
    window.civicgridReportMap = map;  // for tests and for a later code-scan page
  }
  [latInput, lonInput].forEach(function (input) {
    input.addEventListener("change", function () {
      var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
      if (isFinite(lat) && isFinite(lon)) { showMarker(lat, lon, true); placeChanged(); }
    });
  });

  var locate = document.getElementById("locate-me");
  if (locate) locate.addEventListener("click", function () {
    if (!navigator.geolocation) { setError("location", msg.msgNoGeo); return; }
    var label = locate.textContent;
    locate.disabled = true;
    locate.setAttribute("aria-busy", "true");
    locate.textContent = msg.msgLocating;
    function done() { locate.disabled = false; locate.removeAttribute("aria-busy"); locate.textContent = label; }
    navigator.geolocation.getCurrentPosition(function (position) {
      done();
      // Browsers report WGS-84, the system the map and the server use.
      setPoint(position.coords.latitude, position.coords.longitude, true);
    }, function (error) {
      done();
      setError("location", error.code === 1 ? msg.msgGeoDenied : msg.msgGeoFailed);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  // --- photos -------------------------------------------------------------------------------------
  var selected = [];
  var previews = document.getElementById("previews");
  function renderPreviews() {
    previews.replaceChildren();
    selected.forEach(function (file, index) {
      var item = document.createElement("li");
      var img = document.createElement("img");
      img.alt = msg.msgPhoto + " " + (index + 1);
      img.src = URL.createObjectURL(file);
      img.addEventListener("load", function () { URL.revokeObjectURL(img.src); });
      var remove = document.createElement("button");
      remove.type = "button";
      remove.setAttribute("aria-label", msg.msgRemove + " " + (index + 1));
      var cross = document.createElement("span");
      cross.setAttribute("aria-hidden", "true");
      cross.textContent = "×";
      remove.appendChild(cross);
      remove.addEventListener("click", function () {
        selected.splice(index, 1);
        setError("photos", "");
        renderPreviews();
      });
      item.appendChild(img);
      item.appendChild(remove);
      previews.appendChild(item);
    });
    document.getElementById("photo-count").textContent = selected.length + " / " + maxPhotos;
  }
  form.querySelectorAll("input[type=file][name=photos]").forEach(function (input) {
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      var room = maxPhotos - selected.length;
      setError("photos", files.length > room ? msg.msgTooMany : "");
      files.slice(0, Math.max(room, 0)).forEach(function (file) { selected.push(file); });
      input.value = "";
      renderPreviews();
    });
  });

  // --- category search ----------------------------------------------------------------------------
  var select = form.elements.category;
  var results = document.getElementById("category-results");
  var search = document.getElementById("category-search");
  if (results) results.addEventListener("click", function (event) {
    var pick = event.target.closest("button[data-value]");
    if (!pick) return;
    select.value = pick.dataset.value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    results.replaceChildren();
    if (search) search.value = "";
    setError("category", "");
    select.focus();
  });
  if (search) search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") event.preventDefault();  // Enter searches; it does not submit the report
  });

  // --- submit, and retry with the same key ---------------------------------------------------------
  var submit = document.getElementById("submit-button");
  var retryPanel = document.getElementById("retry-panel");
  var retry = document.getElementById("retry-button");
  var pending = null, sending = false;

  function collect() {
    var data = new FormData(form);
    data.delete("photos");
    data.delete("q");
    selected.forEach(function (file) { data.append("photos", file, file.name); });
    return data;
  }
  function busy(on) {
    submit.disabled = on;
    retry.disabled = on;
    submit.setAttribute("aria-busy", on ? "true" : "false");
    submit.querySelector(".label").textContent = on ? msg.msgSending : msg.msgSubmit;
  }
  function failed(text) {
    sending = false;
    busy(false);
    retryPanel.hidden = false;
    if (text) setError("__all__", text);
    retry.focus();
  }
  function send(data) {
    if (sending) return;
    sending = true;
    busy(true);
    retryPanel.hidden = true;
    clearErrors();
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 120000) : null;
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "Idempotency-Key": keyInput.value },
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        return { status: response.status, ok: response.ok, body: body };
      });
    }).then(function (answer) {
      if (timer) clearTimeout(timer);
      if (answer.ok && answer.body && answer.body.url) {
        clearDraft();
        pending = null;
        window.location.assign(answer.body.url);
        return;  // stay busy while the next page loads
      }
      sending = false;
      busy(false);
      if (answer.ok || answer.status === 403) {
        // Redirected to the login page, or the CSRF token is stale: the draft is kept.
        saveDraft();
        setError("__all__", msg.msgSignedOut);
        return;
      }
      if (answer.body && answer.body.errors) {
        pending = null;  // the data was refused: the person corrects it and submits again
        showErrors(answer.body.errors);
        return;
      }
      failed(answer.status >= 500 ? msg.msgServer : "");
    }).catch(function () {
      if (timer) clearTimeout(timer);
      failed("");
    });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    pending = collect();
    send(pending);
  });
  retry.addEventListener("click", function () { send(pending || collect()); });
})();
