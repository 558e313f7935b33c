/* Small read-only maps of the H5 pages: one case's place, and a grid member's cells with their cases.
 * Markers are drawn as circles (no image files), so they show on a blank map without tiles. */
(function () {
  "use strict";
  if (!window.L || !window.civicgridMap) return;
  var COLOURS = { blue: "#1565c0", grey: "#607d8b", indigo: "#3949ab", orange: "#ef6c00", amber: "#ff8f00",
                  purple: "#8e24aa", teal: "#00897b", cyan: "#00acc1", green: "#2e7d32", brown: "#6d4c41" };

  document.querySelectorAll("[data-case-map]").forEach(function (el) {
    var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
    if (!isFinite(lat) || !isFinite(lon)) return;
    var map = window.civicgridMap(el, { center: [lat, lon], zoom: 17, tileUrl: el.dataset.tileUrl || "" });
    L.circleMarker([lat, lon], { radius: 9, color: "#fff", weight: 2, fillColor: "#c62828", fillOpacity: 1 }).addTo(map);
  });

  document.querySelectorAll("[data-grid-map]").forEach(function (el) {
    function data(id) {
      var node = document.getElementById(id);
      return node ? JSON.parse(node.textContent) : null;
    }
    var cells = data(el.dataset.cells), markers = data(el.dataset.markers) || [], bounds = data(el.dataset.bounds);
    var map = window.civicgridMap(el, { tileUrl: el.dataset.tileUrl || "" });
    if (cells) {
      L.geoJSON(cells, {
        style: { color: "#1565c0", weight: 3, fillColor: "#1565c0", fillOpacity: 0.12 },
        onEachFeature: function (feature, layer) { layer.bindTooltip(window.civicgridText(feature.properties.name), { sticky: true }); },
      }).addTo(map);
    }
    markers.forEach(function (m) {
      var colour = COLOURS[m.colour] || COLOURS.grey;
      var link = document.createElement("a");
      link.href = m.url;
      link.textContent = m.number + " · " + m.label;
      L.circleMarker([m.lat, m.lon], { radius: 8, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1 })
        .bindPopup(link).addTo(map);
    });
    if (bounds) map.fitBounds(bounds, { padding: [12, 12] });
  });
})();
