/* 智能分类准确率: the weekly accuracy of the suggestions (figures from json_script), drawn with ECharts. */
(function () {
  "use strict";
  const el = document.getElementById("chart-suggest-accuracy");
  const node = document.getElementById("suggest-accuracy-data");
  if (!el || !node || !window.echarts) return;
  const data = JSON.parse(node.textContent);
  const chart = echarts.init(el);
  const names = [el.dataset.labelAccepted, el.dataset.labelTop3, el.dataset.labelDepartment];
  chart.setOption({
    color: ["#1565c0", "#2e7d32", "#ef6c00"],
    tooltip: { renderMode: "richText", trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } },
    legend: { data: names },
    grid: { left: 48, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.weeks },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: names[0], type: "line", connectNulls: true, symbolSize: 7, data: data.category.accepted },
      { name: names[1], type: "line", connectNulls: true, symbolSize: 6, lineStyle: { type: "dashed" }, data: data.category.top3 },
      { name: names[2], type: "line", connectNulls: true, symbolSize: 6, data: data.department.accepted },
    ],
  });
  chart.on("finished", function () { el.dataset.state = "drawn"; });
  window.addEventListener("resize", function () { chart.resize(); });
})();
