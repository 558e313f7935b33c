/* The address search box (地名地址搜索), on every page that picks or shows a place.
 *
 *   <div class="place-search" data-place-search data-lat="id_lat" data-lon="id_lon" data-address="id_address"
 *        data-map="report-map" data-empty="无匹配地名" data-error="搜索暂不可用">
 *     <input type="search" …> <ul class="place-results" role="listbox" hidden></ul>
 *   </div>
 *
 * Typing asks /api/places/search (a name in part, pinyin or initials, a QR code or a cell code);
 * picking a result (click, or arrows and Enter) fills the lat/lon inputs and fires their "change"
 * event (the page's map moves its marker), fills the address input if the user left it empty, and
 * centres the map (data-map: the element civicgridMap drew on). Results are text, never markup. */
(function () {
  "use strict";
  function debounce(fn, ms) {
    let timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  function byId(id) { return id ? document.getElementById(id) : null; }

  function setup(box) {
    const input = box.querySelector("input[type=search]");
    const list = box.querySelector(".place-results");
    if (!input || !list) return;
    let results = [];
    let active = -1;
    let asked = 0;
    let marker = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }
    function highlight(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, k) {
        li.setAttribute("aria-selected", k === i ? "true" : "false");
        li.classList.toggle("active", k === i);
      });
      if (i >= 0 && list.children[i]) input.setAttribute("aria-activedescendant", list.children[i].id);
    }
    function render(message) {
      list.replaceChildren();
      if (message) {
        const li = document.createElement("li");
        li.className = "place-empty";
        li.textContent = message;
        list.appendChild(li);
      }
      results.forEach(function (r, i) {
        const li = document.createElement("li");
        li.id = input.id + "-opt-" + i;
        li.setAttribute("role", "option");
        const name = document.createElement("span");
        name.className = "place-name";
        name.textContent = r.name;
        const kind = document.createElement("span");
        kind.className = "place-kind";
        kind.textContent = r.kind_label + (r.category ? " · " + r.category : "");
        li.appendChild(name);
        li.appendChild(kind);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(results.length ? 0 : -1);
    }
    function pick(i) {
      const r = results[i];
      if (!r) return;
      close();
      input.value = r.name;
      const lat = byId(box.dataset.lat), lon = byId(box.dataset.lon), address = byId(box.dataset.address);
      if (lat && lon) {
        lat.value = r.lat.toFixed(6);
        lon.value = r.lon.toFixed(6);
        lat.dispatchEvent(new Event("change", { bubbles: true }));
        lon.dispatchEvent(new Event("change", { bubbles: true }));
      }
      if (address && (!address.value || address.value === box.dataset.filled)) {
        address.value = r.name;
        box.dataset.filled = r.name;
      }
      const mapEl = byId(box.dataset.map);
      const map = mapEl && mapEl.civicgridMap;
      if (map) {
        map.setView([r.lat, r.lon], Math.max(map.getZoom(), 17));
        if (!(lat && lon)) {
          if (marker) marker.setLatLng([r.lat, r.lon]);
          else marker = L.circleMarker([r.lat, r.lon], { radius: 9, color: "#d84315", weight: 3, fillOpacity: 0.2 }).addTo(map);
        }
      }
      box.dataset.picked = r.name;
      box.dispatchEvent(new CustomEvent("civicgrid:place", { bubbles: true, detail: r }));
    }
    const search = debounce(function () {
      const q = input.value.trim();
      if (!q) { results = []; close(); return; }
      const ticket = ++asked;
      fetch("/api/places/search?q=" + encodeURIComponent(q.slice(0, 100)), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
          if (ticket !== asked) return;
          results = data.results || [];
          render(results.length ? "" : box.dataset.empty || "");
        })
        .catch(function () { if (ticket === asked) { results = []; render(box.dataset.error || ""); } });
    }, 200);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.addEventListener("input", search);
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && results.length) { e.preventDefault(); if (list.hidden) render(""); highlight((active + 1) % results.length); }
      else if (e.key === "ArrowUp" && results.length) { e.preventDefault(); highlight((active - 1 + results.length) % results.length); }
      else if (e.key === "Enter") {
        // Enter picks the highlighted place and never submits the form around the box.
        e.preventDefault();
        if (!list.hidden && active >= 0) pick(active);
      } else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  // A click on the map (civicgrid-map.js asks the nearest address) fills the address field too,
  // unless the user typed one of their own.
  function followMapClicks(box) {
    const mapEl = byId(box.dataset.map), address = byId(box.dataset.address);
    if (!mapEl || !address) return;
    mapEl.addEventListener("civicgrid:address", function (e) {
      if (!address.value || address.value === box.dataset.filled) {
        address.value = e.detail.address;
        box.dataset.filled = address.value;
      }
    });
  }

  function init() { document.querySelectorAll("[data-place-search]").forEach(function (box) { setup(box); followMapClicks(box); }); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
