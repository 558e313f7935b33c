/* The preview of generated unit grid cells: community outlines dashed, cells numbered by their sequence. */
(function () {
  "use strict";
  const el = document.getElementById("cells-map");
  const data = document.getElementById("plan-data");
  if (!el || !data) return;
  const plan = JSON.parse(data.textContent);
  const map = window.civicgridMap(el, { cells: false });
  const layer = L.geoJSON(plan, {
    style: function (f) {
      return f.properties.kind === "boundary"
        ? { color: "#c62828", weight: 2, dashArray: "6 4", fill: false }
        : { color: "#3949ab", weight: 1, fillColor: "#7986cb", fillOpacity: 0.15 };
    },
    onEachFeature: function (f, lyr) {
      if (f.properties.kind !== "cell") return;
      lyr.bindTooltip(window.civicgridText(f.properties.code + " · " + f.properties.area_m2 + " m²"));
    },
  }).addTo(map);
  const bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
  el.dataset.cells = String(plan.features.filter(function (f) { return f.properties.kind === "cell"; }).length);
})();
