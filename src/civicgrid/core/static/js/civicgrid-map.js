/* A small Leaflet helper shared by every page with a map.
 * Works without a tile server (closed networks): the grid cells are drawn on a blank background.
 * Usage: const m = civicgridMap(element, {center: [lat, lon], zoom: 14, tileUrl: "", cells: true});
 *
 * Leaflet puts a string given to bindTooltip / bindPopup into innerHTML. Names and every other value
 * from the database go in as text: civicgridText(value) is a node whose text is the value, never markup. */
(function () {
  "use strict";
  window.civicgridText = function (text) {
    const span = document.createElement("span");
    span.textContent = text === null || text === undefined ? "" : String(text);
    return span;
  };
  window.civicgridMap = function (el, options) {
    const opts = Object.assign({ center: [39.605, 109.79], zoom: 14, tileUrl: el.dataset.tileUrl || "", cells: true }, options || {});
    const map = L.map(el, { zoomControl: true, attributionControl: !!opts.tileUrl }).setView(opts.center, opts.zoom);
    if (opts.tileUrl) {
      L.tileLayer(opts.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
    }
    const cellLayer = L.geoJSON(null, {
      style: { color: "#5c6bc0", weight: 1, fillOpacity: 0.04 },
      onEachFeature: function (f, layer) { layer.bindTooltip(window.civicgridText(f.properties.name + " " + f.properties.code)); },
    }).addTo(map);
    let lastBox = "";
    function loadCells() {
      if (!opts.cells) return;
      const b = map.getBounds();
      const box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(4); }).join(",");
      if (box === lastBox) return;
      lastBox = box;
      fetch("/api/grids/cells.geojson?bbox=" + box, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { cellLayer.clearLayers(); cellLayer.addData(data); } });
    }
    map.on("moveend", loadCells);
    loadCells();
    map.civicgridCells = cellLayer;
    return map;
  };
})();
