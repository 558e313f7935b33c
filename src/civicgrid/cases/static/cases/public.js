/* The public case pages (/reports/): the map of public cases with a popup per case, and one case's place.
 * Category names come from the database: they reach the popup as text, never as markup. */
(function () {
  "use strict";
  if (!window.L || !window.civicgridMap) return;

  const listEl = document.getElementById("public-map");
  if (listEl) {
    const map = window.civicgridMap(listEl, { zoom: 13 });
    const markers = L.layerGroup().addTo(map);
    const popup = function (c) {
      const box = document.createElement("span");
      const link = document.createElement("a");
      link.href = "/reports/" + encodeURIComponent(c.number) + "/";
      link.textContent = c.number;
      box.append(link, " " + (c.category_name || "") + " · " + (c.status_label || ""));
      return box;
    };
    const load = function () {
      const b = map.getBounds();
      const box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(4); }).join(",");
      fetch("/api/public/cases?limit=200&bbox=" + box).then(function (r) { return r.json(); }).then(function (rows) {
        markers.clearLayers();
        rows.forEach(function (c) {
          L.circleMarker([c.lat, c.lon], { radius: 6, color: c.status === "closed" ? "#2e7d32" : "#c62828" })
            .bindPopup(popup(c))
            .addTo(markers);
        });
        listEl.setAttribute("data-markers", String(rows.length));
      });
    };
    map.on("moveend", load);
    load();
  }

  const caseEl = document.getElementById("case-map");
  if (caseEl) {
    const at = [parseFloat(caseEl.dataset.lat), parseFloat(caseEl.dataset.lon)];
    const map = window.civicgridMap(caseEl, { center: at, zoom: 16 });
    L.circleMarker(at, { radius: 8, color: "#c62828" }).addTo(map);
  }
})();
