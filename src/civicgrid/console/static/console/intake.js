/* Hotline entry: click the map to set the place; typing coordinates moves the marker. */
(function () {
  "use strict";
  const el = document.getElementById("intake-map");
  const lat = document.getElementById("id_lat");
  const lon = document.getElementById("id_lon");
  if (!el || !window.L || !window.civicgridMap || !lat || !lon) return;
  const start = lat.value && lon.value ? [parseFloat(lat.value), parseFloat(lon.value)] : null;
  const map = window.civicgridMap(el, start ? { center: start, zoom: 16 } : {});
  let marker = null;
  function place(latlng) {
    if (marker) { marker.setLatLng(latlng); } else {
      marker = L.circleMarker(latlng, { radius: 8, color: "#c62828", weight: 3, fillColor: "#ef5350", fillOpacity: 0.9 }).addTo(map);
    }
  }
  if (start) place(start);
  map.on("click", function (e) {
    lat.value = e.latlng.lat.toFixed(6);
    lon.value = e.latlng.lng.toFixed(6);
    place(e.latlng);
  });
  function typed() {
    const a = parseFloat(lat.value), b = parseFloat(lon.value);
    if (isFinite(a) && isFinite(b)) { place([a, b]); map.panTo([a, b]); }
  }
  lat.addEventListener("change", typed);
  lon.addEventListener("change", typed);
})();
