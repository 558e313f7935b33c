/* 发起活动: a tap on the map sets the activity's point (the latitude and longitude fields); typing them
 * moves the marker. */
(function () {
  "use strict";
  var el = document.querySelector("[data-vol-picker]");
  if (!el || !window.L || !window.civicgridMap) return;
  var lat = document.getElementById("id_lat"), lon = document.getElementById("id_lon");
  var start = lat.value && lon.value ? [parseFloat(lat.value), parseFloat(lon.value)] : undefined;
  var options = { zoom: 15, cells: false };
  if (start) options.center = start;
  var map = window.civicgridMap(el, options);
  var marker = null;
  function place(latlng) {
    if (marker) marker.setLatLng(latlng);
    else marker = L.circleMarker(latlng, { radius: 9, color: "#fff", weight: 2, fillColor: "#c62828", fillOpacity: 1 }).addTo(map);
  }
  if (start) place(start);
  map.on("click", function (e) {
    lat.value = e.latlng.lat.toFixed(6);
    lon.value = e.latlng.lng.toFixed(6);
    place(e.latlng);
  });
  [lat, lon].forEach(function (input) {
    input.addEventListener("change", function () {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      if (isFinite(a) && isFinite(b)) { place([a, b]); map.setView([a, b]); }
    });
  });
  window.civicgridVolPicker = map;
})();
