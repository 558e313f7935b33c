/* The big screen (大屏): one snapshot from /screen/data every N seconds, drawn without reloading.
 * Numbers, ECharts panels and the map's cell colours are updated in place; the "updated at"
 * clock shows the server time of the snapshot. A failed fetch keeps the last figures and says so. */
(function () {
  "use strict";
  const root = document.getElementById("screen");
  const labels = JSON.parse(document.getElementById("screen-labels").textContent);
  const refresh = Math.max(5, parseInt(root.dataset.refresh, 10) || 30) * 1000;
  const TEXT = "#cfe3ff", GRID = "rgba(120,160,220,.18)", ACCENT = ["#3fa7ff", "#35d6c5", "#ffc53d", "#ff6b6b", "#a98bff", "#7bd88f", "#ff9f43", "#5ee2ff"];
  const charts = {};
  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return charts[id];
  }
  const axis = { axisLine: { lineStyle: { color: GRID } }, axisLabel: { color: TEXT }, splitLine: { lineStyle: { color: GRID } } };
  function drill(params) {
    const q = new URLSearchParams(params);
    return root.dataset.drill + "?" + q.toString();
  }

  function setNumber(key, value, isRate) {
    const li = root.querySelector('[data-k="' + key + '"]');
    if (!li) return;
    const el = li.querySelector("strong");
    const text = value === null || value === undefined ? "—" : isRate ? (value * 100).toFixed(1) + "%" : String(value);
    if (el.textContent !== text) {
      el.textContent = text;
      li.classList.remove("flash"); void li.offsetWidth; li.classList.add("flash");
    }
    li.dataset.value = value === null || value === undefined ? "" : value;
  }

  function drawTrend(points) {
    chart("s-trend").setOption({
      animation: false,
      grid: { left: 40, right: 12, top: 28, bottom: 24 },
      legend: { textStyle: { color: TEXT }, top: 0, data: [labels.this_year, labels.last_year] },
      tooltip: { trigger: "axis" },
      xAxis: Object.assign({ type: "category", data: points.map(function (p) { return p.period.slice(5); }) }, axis),
      yAxis: Object.assign({ type: "value", minInterval: 1 }, axis),
      series: [
        { name: labels.this_year, type: "line", smooth: true, data: points.map(function (p) { return p.value; }), areaStyle: { opacity: 0.15 }, color: ACCENT[0] },
        { name: labels.last_year, type: "line", smooth: true, data: points.map(function (p) { return p.last_year; }), lineStyle: { type: "dashed" }, color: ACCENT[2] },
      ],
    });
  }
  function drawPie(id, rows) {
    chart(id).setOption({
      animation: false, color: ACCENT, tooltip: { trigger: "item" },
      legend: { orient: "vertical", right: 0, top: "middle", textStyle: { color: TEXT } },
      series: [{ type: "pie", radius: ["38%", "70%"], center: ["35%", "50%"], label: { show: false },
        data: rows.map(function (r) { return { name: r.name, value: r.value }; }) }],
    });
  }
  function drawBars(id, rows, valueKey, color, fmt) {
    const sorted = rows.slice().reverse();
    chart(id).setOption({
      animation: false,
      grid: { left: 130, right: 48, top: 6, bottom: 6 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: Object.assign({ type: "value", show: false }, axis),
      yAxis: Object.assign({ type: "category", data: sorted.map(function (r) { return r.name; }) }, axis, { axisLabel: { color: TEXT, width: 120, overflow: "truncate" } }),
      series: [{ type: "bar", barMaxWidth: 16, color: color, data: sorted.map(function (r) { return r[valueKey]; }),
        label: { show: true, position: "right", color: TEXT, formatter: function (p) { return fmt ? fmt(p.value) : p.value; } } }],
    });
  }

  // --- the map: grid cells coloured by this month's reports (or the maps app's layers) ---------------
  let map = null, cellLayer = null, cellValues = {}, cellKeys = {};
  function colour(v, max) {
    if (!v) return "#1b2a44";
    const t = Math.min(1, v / (max || 1));
    const stops = [[41, 98, 168], [53, 214, 197], [255, 197, 61], [255, 107, 107]];
    const i = Math.min(stops.length - 2, Math.floor(t * (stops.length - 1)));
    const f = t * (stops.length - 1) - i;
    const c = stops[i].map(function (a, k) { return Math.round(a + (stops[i + 1][k] - a) * f); });
    return "rgb(" + c.join(",") + ")";
  }
  function restyleCells() {
    if (!cellLayer) return;
    const max = Math.max.apply(null, [1].concat(Object.values(cellValues)));
    cellLayer.eachLayer(function (layer) {
      const v = cellValues[layer.feature.properties.code] || 0;
      layer.setStyle({ color: "#4f79b8", weight: 1, fillColor: colour(v, max), fillOpacity: 0.75 });
      layer.setTooltipContent(layer.feature.properties.name + "：" + v);
    });
    const legend = document.getElementById("s-legend");
    legend.innerHTML = labels.legend + " <i style='background:" + colour(1, 4) + "'></i>" + labels.low + " <i style='background:" + colour(4, 4) + "'></i>" + labels.high + " (" + max + ")";
  }
  function initMap() {
    const el = document.getElementById("s-map");
    if (window.civicgridMapLayers && root.dataset.mapLayers) {
      // The city map's own layers, embedded as they are on /map/.
      map = window.civicgridMapLayers(el, { url: root.dataset.mapLayers, dark: true });
      return;
    }
    map = L.map(el, { zoomControl: false, attributionControl: false, preferCanvas: true });
    cellLayer = L.geoJSON(null, {
      onEachFeature: function (f, layer) {
        layer.bindTooltip(f.properties.name);
        layer.on("click", function () {
          const key = cellKeys[f.properties.code];
          if (key !== undefined) location.href = drill({ metric: "reported", by: "cell", key: key, period: "month" });
        });
      },
    }).addTo(map);
    fetch("/api/grids/cells.geojson?bbox=" + encodeURIComponent(root.dataset.bbox), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        cellLayer.addData(data);
        const b = cellLayer.getBounds();
        if (b.isValid()) map.fitBounds(b, { padding: [10, 10] });
        restyleCells();
      });
  }

  function draw(data) {
    Object.keys(data.today).forEach(function (k) { setNumber("today." + k, data.today[k]); });
    Object.keys(data.month).forEach(function (k) { setNumber("month." + k, data.month[k]); });
    Object.keys(data.now).forEach(function (k) { setNumber("now." + k, data.now[k]); });
    Object.keys(data.rates).forEach(function (k) { setNumber("rates." + k, data.rates[k], true); });
    drawTrend(data.trend);
    drawPie("s-channel", data.channels);
    drawBars("s-departments", data.departments.slice(0, 10), "composite", ACCENT[1], function (v) { return v.toFixed(1); });
    drawBars("s-categories", data.categories, "value", ACCENT[0]);
    drawBars("s-streets", data.streets.slice(0, 10), "composite", ACCENT[4], function (v) { return v.toFixed(1); });
    cellValues = {};
    data.cells.forEach(function (r) { cellValues[r.code] = r.value; cellKeys[r.code] = r.key; });
    restyleCells();
    document.getElementById("s-date").textContent = data.date;
    const updated = document.getElementById("s-updated");
    updated.textContent = data.updated_label;
    updated.setAttribute("datetime", data.updated_at);
    root.dataset.updatedAt = data.updated_at;
    root.dataset.refreshes = String((parseInt(root.dataset.refreshes, 10) || 0) + 1);
  }

  function load() {
    fetch(root.dataset.url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { document.getElementById("s-status").textContent = ""; draw(data); })
      .catch(function () { document.getElementById("s-status").textContent = labels.offline; })
      .finally(function () { setTimeout(load, refresh); });
  }
  initMap();
  load();
  window.addEventListener("resize", function () { Object.values(charts).forEach(function (c) { c.resize(); }); });
})();
