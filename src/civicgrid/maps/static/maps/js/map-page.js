/* The /map/ page: layer checkboxes, time presets and dates, filters, legend and the feature card around CityMap. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("citymap-config").textContent);
  const text = config.text;
  const el = document.getElementById("citymap");
  const legendEl = document.getElementById("legend");
  const statusEl = document.getElementById("map-status");
  const card = document.getElementById("card");
  const startInput = document.getElementById("start");
  const endInput = document.getElementById("end");
  const names = {};
  config.layers.forEach(function (l) { names[l.id] = l.name; });
  const legends = {};

  function iso(d) {
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }
  function presetRange(name) {
    const parts = config.today.split("-").map(Number);
    const today = new Date(parts[0], parts[1] - 1, parts[2]);
    const start = new Date(today);
    if (name === "7d") start.setDate(today.getDate() - 6);
    else if (name === "30d") start.setDate(today.getDate() - 29);
    else if (name === "month") start.setDate(1);
    else if (name === "year") { start.setMonth(0); start.setDate(1); }
    return [iso(start), iso(today)];
  }

  function currentFilters() {
    const status = document.getElementById("status").value;
    return { start: startInput.value, end: endInput.value, status: status ? [status] : [],
      category: document.getElementById("category").value, street: document.getElementById("street").value };
  }

  function drawLegend() {
    legendEl.replaceChildren();
    Object.keys(legends).forEach(function (id) {
      const block = document.createElement("div");
      block.className = "legend-block";
      block.dataset.legend = id;
      const h = document.createElement("h3");
      h.textContent = names[id];
      block.appendChild(h);
      const items = legends[id].legend || [];
      if (!items.length) {
        const p = document.createElement("p");
        p.className = "muted";
        p.textContent = text.noLegend;
        block.appendChild(p);
      }
      items.forEach(function (item) {
        const row = document.createElement("div");
        row.className = "legend-item";
        const swatch = document.createElement("span");
        swatch.className = "swatch";
        swatch.style.background = item.colour;
        const label = document.createElement("span");
        label.textContent = item.label;
        row.append(swatch, label);
        block.appendChild(row);
      });
      if (legends[id].mode === "binned") {
        const note = document.createElement("p");
        note.className = "muted";
        note.textContent = text.binned;
        block.appendChild(note);
      }
      legendEl.appendChild(block);
    });
  }

  function showCard(props) {
    const c = props.card || {};
    card.querySelector(".card-title").textContent = c.title || "";
    card.querySelector(".card-text").textContent = c.text || "";
    const rows = card.querySelector(".card-rows");
    rows.replaceChildren();
    (c.rows || []).forEach(function (pair) {
      const dt = document.createElement("dt");
      dt.textContent = pair[0];
      const dd = document.createElement("dd");
      dd.textContent = pair[1];
      rows.append(dt, dd);
    });
    const link = card.querySelector(".card-link");
    if (c.url) { link.href = c.url; link.textContent = c.link || text.open; link.hidden = false; } else { link.hidden = true; }
    card.hidden = false;
  }
  card.querySelector(".card-close").addEventListener("click", function () { card.hidden = true; });

  const range = presetRange(config.defaultPreset);
  startInput.value = range[0];
  endInput.value = range[1];
  document.querySelector('[data-preset="' + config.defaultPreset + '"]').setAttribute("aria-pressed", "true");

  const cm = window.CityMap(el, {
    layers: config.layers,
    enabled: Array.from(document.querySelectorAll("#layer-control input:checked")).map(function (i) { return i.value; }),
    filters: currentFilters(),
    center: config.center,
    zoom: config.zoom,
    bounds: config.bounds,
    onFeature: showCard,
    onLayer: function (id, collection) {
      const count = document.querySelector('[data-count="' + id + '"]');
      if (collection) { legends[id] = collection; if (count) count.textContent = String(collection.features.length); }
      else { delete legends[id]; if (count) count.textContent = ""; }
      drawLegend();
      statusEl.textContent = "";
    },
    onError: function (id, err) {
      statusEl.textContent = text.error + " · " + names[id] + (err && err.message ? " · " + err.message : "");
    },
  });
  window.citymap = cm;

  document.querySelectorAll("#layer-control input").forEach(function (box) {
    box.addEventListener("change", function () { cm.setLayer(box.value, box.checked); });
  });
  document.querySelectorAll("[data-preset]").forEach(function (button) {
    button.addEventListener("click", function () {
      const r = presetRange(button.dataset.preset);
      startInput.value = r[0];
      endInput.value = r[1];
      document.querySelectorAll("[data-preset]").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
      cm.setFilters(currentFilters());
    });
  });
  [startInput, endInput].forEach(function (input) {
    input.addEventListener("change", function () {
      document.querySelectorAll("[data-preset]").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
      if (startInput.value && endInput.value) cm.setFilters(currentFilters());
    });
  });
  ["status", "category", "street"].forEach(function (name) {
    document.getElementById(name).addEventListener("change", function () { cm.setFilters(currentFilters()); });
  });
})();
