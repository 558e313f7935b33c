/* The case page: the case's place on the grid (no tiles needed). */
(function () {
  "use strict";
  const el = document.getElementById("case-map");
  if (!el || !window.L || !window.civicgridMap) return;
  const at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
  const map = window.civicgridMap(el, { center: at, zoom: 16 });
  L.circleMarker(at, { radius: 8, color: "#c62828", weight: 3, fillColor: "#ef5350", fillOpacity: 0.9 })
    .addTo(map).bindTooltip(window.civicgridText(el.dataset.label || ""), { permanent: false });
})();
