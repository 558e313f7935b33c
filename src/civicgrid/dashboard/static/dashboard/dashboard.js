/* The dashboard's charts: each [data-chart] element fetches its figures from the stats API
 * (the filters are already in its data-api URL) and draws them with ECharts. Clicking a bar, a
 * slice or a point of the trend opens the list of the cases behind it (data-drill + by/key). */
(function () {
  "use strict";
  // Tooltips are drawn on the canvas (renderMode "richText"): names from the database never become
  // markup, and no HTML with style attributes is written (the Content-Security-Policy allows none).
  const COLORS = ["#1565c0", "#2e7d32", "#f9a825", "#c62828", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037", "#283593", "#9e9d24"];
  const lang = document.documentElement.lang || "zh-Hans";
  const en = lang.indexOf("en") === 0;
  const T = en ? { thisYear: "This period", lastYear: "A year before", none: "No data" }
               : { thisYear: "本期", lastYear: "去年同期", none: "暂无数据" };

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) return r.json().catch(function () { return {}; }).then(function (b) { throw new Error(b.message || r.status); });
      return r.json();
    });
  }
  function go(el, params) {
    const url = new URL(el.dataset.drill, location.href);
    Object.keys(params).forEach(function (k) { url.searchParams.set(k, params[k]); });
    location.href = url.pathname + url.search;
  }
  function fail(el, err) { el.dataset.state = "error"; el.dataset.error = String(err.message || err); }
  // "drawn" once the animation has finished: what a test clicks (or a screenshot shows) is in place.
  function done(el, chart) {
    el.civicgridChart = chart;
    el.dataset.state = "drawing";
    chart.off("finished");
    chart.on("finished", function () { el.dataset.state = "drawn"; });
  }

  // --- trend with year-on-year ----------------------------------------------------------------------
  function iso(d) { return d.toISOString().slice(0, 10); }
  function bucketEnd(start, granularity) {
    const d = new Date(start + "T00:00:00Z");
    if (granularity === "day") return start;
    if (granularity === "week") { d.setUTCDate(d.getUTCDate() + 6); return iso(d); }
    d.setUTCMonth(d.getUTCMonth() + 1, 0); return iso(d);
  }
  function drawTrend(el) {
    const url = new URL(el.dataset.api, location.href);
    url.searchParams.set("metric", el.dataset.metric);
    url.searchParams.set("granularity", el.dataset.granularity);
    const chart = el.civicgridChart || echarts.init(el);
    getJSON(url.pathname + url.search).then(function (data) {
      const points = data.points;
      chart.setOption({
        color: [COLORS[0], COLORS[2]], tooltip: { renderMode: "richText", trigger: "axis" },
        legend: { data: [T.thisYear, T.lastYear] },
        grid: { left: 48, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", data: points.map(function (p) { return p.period; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: T.thisYear, type: "line", smooth: true, symbolSize: 7, data: points.map(function (p) { return p.value; }) },
          { name: T.lastYear, type: "line", smooth: true, symbolSize: 5, lineStyle: { type: "dashed" }, data: points.map(function (p) { return p.last_year; }) },
        ],
      }, true);
      chart.off("click");
      chart.on("click", function (e) {
        if (e.seriesIndex !== 0) return;
        const drillUrl = new URL(el.dataset.drill, location.href);
        const p = points[e.dataIndex];
        // The bucket, clipped to the filtered period (the figure counts only those days).
        let start = p.period, end = bucketEnd(p.period, data.granularity);
        const fStart = drillUrl.searchParams.get("start"), fEnd = drillUrl.searchParams.get("end");
        if (fStart && start < fStart) start = fStart;
        if (fEnd && end > fEnd) end = fEnd;
        go(el, { metric: data.metric, start: start, end: end });
      });
      done(el, chart);
    }).catch(function (err) { fail(el, err); });
  }

  // --- breakdowns: bars (category, department, street, cell) and pies (channel) ---------------------
  function drawBreakdown(el) {
    const chart = echarts.init(el);
    getJSON(el.dataset.api).then(function (data) {
      const rows = data.rows;
      if (el.dataset.chart === "pie") {
        chart.setOption({
          color: COLORS, tooltip: { renderMode: "richText", trigger: "item", formatter: "{b}: {c} ({d}%)" },
          legend: { orient: "vertical", left: 0, top: "middle", type: "scroll" },
          series: [{ type: "pie", radius: ["35%", "68%"], center: ["62%", "50%"],
            data: rows.map(function (r) { return { name: r.name, value: r.value }; }) }],
          title: rows.length ? undefined : { text: T.none, left: "center", top: "middle", textStyle: { color: "#999" } },
        });
      } else {
        const sorted = rows.slice().reverse();
        chart.setOption({
          color: [COLORS[0]], tooltip: { renderMode: "richText", trigger: "axis", axisPointer: { type: "shadow" } },
          grid: { left: 140, right: 40, top: 8, bottom: 20 },
          xAxis: { type: "value", minInterval: 1 },
          yAxis: { type: "category", data: sorted.map(function (r) { return r.name; }), axisLabel: { width: 130, overflow: "truncate" } },
          series: [{ type: "bar", barMaxWidth: 22, label: { show: true, position: "right" },
            data: sorted.map(function (r) { return r.value; }) }],
          title: rows.length ? undefined : { text: T.none, left: "center", top: "middle", textStyle: { color: "#999" } },
        });
      }
      chart.on("click", function (e) {
        const row = el.dataset.chart === "pie" ? rows[e.dataIndex] : rows[rows.length - 1 - e.dataIndex];
        if (row) go(el, { key: row.key === null ? "" : row.key });
      });
      el.civicgridRows = rows;
      done(el, chart);
    }).catch(function (err) { fail(el, err); });
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    if (el.dataset.chart === "trend") drawTrend(el); else drawBreakdown(el);
  });

  // Trend controls: the metric and the granularity redraw the trend in place.
  const trend = document.getElementById("chart-trend");
  const metric = document.getElementById("trend-metric");
  if (trend && metric) {
    metric.addEventListener("change", function () { trend.dataset.metric = metric.value; drawTrend(trend); });
    document.querySelectorAll(".gran").forEach(function (b) {
      b.addEventListener("click", function () {
        document.querySelectorAll(".gran").forEach(function (o) { o.classList.remove("on"); o.setAttribute("aria-pressed", "false"); });
        b.classList.add("on"); b.setAttribute("aria-pressed", "true");
        trend.dataset.granularity = b.dataset.granularity;
        drawTrend(trend);
      });
    });
  }

  // The period select: a preset clears the dates, "custom" enables them.
  const period = document.getElementById("f-period");
  if (period) {
    period.addEventListener("change", function () {
      const custom = period.value === "";
      ["f-start", "f-end"].forEach(function (id) { document.getElementById(id).disabled = !custom; });
      if (!custom) period.form.submit();
    });
  }
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) { if (el.civicgridChart) el.civicgridChart.resize(); });
  });
})();
