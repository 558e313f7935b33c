/* 今日点位: the inspector's sites on the map (colour: not started / under way / done); a tap opens the site. */
(function () {
  "use strict";
  var COLOURS = { green: "#2e7d32", amber: "#ff8f00", blue: "#1565c0", grey: "#607d8b" };
  document.querySelectorAll("[data-ev-map]").forEach(function (el) {
    if (!window.L || !window.civicgridMap) return;
    function data(id) {
      var node = document.getElementById(id);
      return node ? JSON.parse(node.textContent) : null;
    }
    var markers = data(el.dataset.markers) || [], centre = data(el.dataset.centre);
    var map = window.civicgridMap(el, { center: centre || undefined, zoom: 14, cells: false });
    var points = [];
    markers.forEach(function (m) {
      var box = document.createElement("div");
      var link = document.createElement("a");
      link.href = m.url;
      link.className = "ev-popup-title";
      link.textContent = m.title;
      var meta = document.createElement("div");
      meta.textContent = m.kind + " · " + m.filled;
      box.appendChild(link);
      box.appendChild(meta);
      L.circleMarker([m.lat, m.lon], { radius: 10, color: "#fff", weight: 2,
        fillColor: COLOURS[m.colour] || COLOURS.grey, fillOpacity: 1, className: "ev-marker ev-marker-" + m.id })
        .bindPopup(box).addTo(map);
      points.push([m.lat, m.lon]);
    });
    if (points.length > 1) map.fitBounds(points, { padding: [24, 24], maxZoom: 16, animate: false });
    else if (points.length === 1) map.setView(points[0], 16, { animate: false });
    el.dataset.markerCount = String(markers.length);
  });
})();
