/* The big screen (大屏): one snapshot from /screen/data every N seconds, drawn without reloading.
 * Numbers and ECharts panels are updated in place, the city map's layers reloaded; the "updated at"
 * clock shows the server time of the snapshot. A failed fetch keeps the last figures and says so. */
(function () {
  "use strict";
  const root = document.getElementById("screen");
  const labels = JSON.parse(document.getElementById("screen-labels").textContent);
  const refresh = Math.max(5, parseInt(root.dataset.refresh, 10) || 30) * 1000;
  const TEXT = "#cfe3ff", GRID = "rgba(120,160,220,.18)", ACCENT = ["#3fa7ff", "#35d6c5", "#ffc53d", "#ff6b6b", "#a98bff", "#7bd88f", "#ff9f43", "#5ee2ff"];
  // Tooltips on the canvas (renderMode "richText"): names stay text, and no inline styles (see dashboard.js).
  const charts = {};
  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return charts[id];
  }
  const axis = { axisLine: { lineStyle: { color: GRID } }, axisLabel: { color: TEXT }, splitLine: { lineStyle: { color: GRID } } };

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
      tooltip: { renderMode: "richText", trigger: "axis" },
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
      animation: false, color: ACCENT, tooltip: { renderMode: "richText", trigger: "item" },
      legend: { orient: "vertical", right: 0, top: "middle", textStyle: { color: TEXT } },
      series: [{ type: "pie", radius: ["38%", "70%"], center: ["35%", "50%"], label: { show: false },
        data: rows.map(function (r) { return { name: r.name, value: r.value }; }) }],
    });
  }
  function drawBars(id, rows, valueKey, color, fmt, emptyText) {
    const sorted = rows.slice().reverse();
    chart(id).setOption({
      animation: false,
      // No unit with enough cases to rank (样本不足): say so rather than show an empty panel.
      title: { show: rows.length === 0 && !!emptyText, text: emptyText || "", left: "center", top: "middle",
        textStyle: { color: TEXT, fontSize: 13, fontWeight: "normal" } },
      grid: { left: 130, right: 48, top: 6, bottom: 6 },
      tooltip: { renderMode: "richText", trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: Object.assign({ type: "value", show: false }, axis),
      yAxis: Object.assign({ type: "category", data: sorted.map(function (r) { return r.name; }) }, axis, { axisLabel: { color: TEXT, width: 120, overflow: "truncate" } }),
      series: [{ type: "bar", barMaxWidth: 16, color: color, data: sorted.map(function (r) { return r[valueKey]; }),
        label: { show: true, position: "right", color: TEXT, formatter: function (p) { return fmt ? fmt(p.value) : p.value; } } }],
    });
  }

  // --- the map: the city map's layers (maps app), reloaded with each snapshot ------------------------
  // Unchanged layers cost a 304 (the layers carry ETags); a new case shows at the next refresh.
  const mapConfig = JSON.parse(document.getElementById("screen-map").textContent);
  let cityMap = null;
  function showCard(p) {
    const c = p.card || {};
    const card = document.getElementById("s-card");
    card.querySelector("h3").textContent = c.title || "";
    card.querySelector("p").textContent = c.text || "";
    const link = card.querySelector("a");
    if (c.url) { link.href = c.url; link.textContent = c.link || "›"; link.hidden = false; } else { link.hidden = true; }
    card.hidden = false;
  }
  function drawLegend() {
    const legend = document.getElementById("s-legend");
    legend.replaceChildren();
    mapConfig.layers.filter(function (l) { return mapConfig.enabled.indexOf(l.id) >= 0 && l.id !== "boundaries"; })
      .forEach(function (l) {
        const row = document.createElement("div");
        const name = document.createElement("b");
        name.textContent = l.name;
        row.appendChild(name);
        (l.legend || []).slice(0, 8).forEach(function (item) {
          const sw = document.createElement("i");
          sw.style.background = item.colour;
          sw.title = item.label || "";
          row.appendChild(sw);
          if (item.label) { const t = document.createElement("span"); t.textContent = item.label; row.appendChild(t); }
        });
        legend.appendChild(row);
      });
  }
  function initMap() {
    if (!window.CityMap) return;
    cityMap = window.CityMap(document.getElementById("s-map"), {
      layers: mapConfig.layers, enabled: mapConfig.enabled, filters: mapConfig.filters,
      bounds: mapConfig.bounds, dark: true, onFeature: showCard,
    });
    cityMap.map.zoomControl && cityMap.map.zoomControl.remove();
    drawLegend();
  }
  function refreshMap(data) {
    if (!cityMap) return;
    const f = cityMap.filters();
    const start = data.date.slice(0, 8) + "01";
    if (f.end !== data.date) { cityMap.setFilters(Object.assign(f, { start: start, end: data.date })); }
    else { cityMap.reload(); }
  }

  // --- hot issues (热点问题): the hottest active ones, as text (never HTML) ----------------------------
  function drawHot(rows) {
    const list = document.getElementById("s-hot");
    list.replaceChildren();
    if (!rows || !rows.length) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = labels.no_hot;
      list.appendChild(empty);
      return;
    }
    rows.forEach(function (r) {
      const li = document.createElement("li");
      li.dataset.issue = String(r.id);
      const heat = document.createElement("b");
      heat.className = "s-heat" + (r.alert ? " hot" : "");
      heat.textContent = String(Math.round(r.heat));
      const body = document.createElement("div");
      const text = document.createElement("a");
      text.href = r.url;
      text.textContent = r.text;
      const meta = document.createElement("small");
      meta.textContent = r.place + " · " + r.span + " · " + r.counts;
      body.appendChild(text);
      body.appendChild(meta);
      li.appendChild(heat);
      li.appendChild(body);
      list.appendChild(li);
    });
  }

  function draw(data) {
    drawHot(data.hot);
    Object.keys(data.today).forEach(function (k) { setNumber("today." + k, data.today[k]); });
    Object.keys(data.month).forEach(function (k) { setNumber("month." + k, data.month[k]); });
    Object.keys(data.now).forEach(function (k) { setNumber("now." + k, data.now[k]); });
    Object.keys(data.rates).forEach(function (k) { setNumber("rates." + k, data.rates[k], true); });
    Object.keys(data.volunteers).forEach(function (k) { setNumber("volunteers." + k, data.volunteers[k], k === "no_show_rate"); });
    drawTrend(data.trend);
    drawPie("s-channel", data.channels);
    drawBars("s-departments", data.departments.slice(0, 10), "composite", ACCENT[1], function (v) { return v.toFixed(1); }, labels.too_few);
    drawBars("s-categories", data.categories, "value", ACCENT[0]);
    drawBars("s-streets", data.streets.slice(0, 10), "composite", ACCENT[4], function (v) { return v.toFixed(1); }, labels.too_few);
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
      .then(function (data) {
        const first = !root.dataset.updatedAt;
        document.getElementById("s-status").textContent = "";
        draw(data);
        if (!first) refreshMap(data);
      })
      .catch(function () { document.getElementById("s-status").textContent = labels.offline; })
      .finally(function () { setTimeout(load, refresh); });
  }
  initMap();
  load();
  window.addEventListener("resize", function () { Object.values(charts).forEach(function (c) { c.resize(); }); });
})();
