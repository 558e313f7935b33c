/* 附近的志愿活动: ask the phone where it is once (the list and map are then sorted around it), send the
 * filters when one changes, and draw the activities on the map (colour: how full; a tap opens it). */
(function () {
  "use strict";
  var form = document.getElementById("vol-filters");
  var status = document.getElementById("locate-status");
  if (form) {
    form.addEventListener("change", function () { form.requestSubmit(); });
    // The position is asked for once a visit; afterwards the page sends the one it got.
    var known = sessionStorage.getItem("civicgridVolPosition");
    var send = function (lat, lon) {
      form.elements.lat.value = lat;
      form.elements.lon.value = lon;
      form.requestSubmit();
    };
    if (form.dataset.located !== "1" && known) {
      send.apply(null, known.split(","));
    } else if (form.dataset.located !== "1" && navigator.geolocation && !sessionStorage.getItem("civicgridVolAsked")) {
      sessionStorage.setItem("civicgridVolAsked", "1");
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lat = pos.coords.latitude.toFixed(6), lon = pos.coords.longitude.toFixed(6);
        sessionStorage.setItem("civicgridVolPosition", lat + "," + lon);
        send(lat, lon);
      }, function () {
        if (status) status.textContent = status.dataset.failed || "";
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    }
  }

  var COLOURS = { green: "#2e7d32", amber: "#ff8f00", red: "#c62828", blue: "#1565c0", grey: "#607d8b" };
  document.querySelectorAll("[data-vol-map]").forEach(function (el) {
    if (!window.L || !window.civicgridMap) return;
    function data(id) {
      var node = document.getElementById(id);
      return node ? JSON.parse(node.textContent) : null;
    }
    var markers = data(el.dataset.markers) || [], centre = data(el.dataset.centre);
    var options = { zoom: 14, cells: false };
    if (centre) options.center = centre;
    var map = window.civicgridMap(el, options);
    var points = [];
    markers.forEach(function (m) {
      var box = document.createElement("div");
      var link = document.createElement("a");
      link.href = m.url;
      link.className = "vol-popup-title";
      link.textContent = m.title;
      var meta = document.createElement("div");
      meta.textContent = m.kind + (m.when ? " · " + m.when : "") + " · " + m.filled;
      box.appendChild(link);
      box.appendChild(meta);
      var marker = L.circleMarker([m.lat, m.lon], { radius: 10, color: "#fff", weight: 2,
        fillColor: COLOURS[m.colour] || COLOURS.grey, fillOpacity: 1, className: "vol-marker vol-marker-" + m.id })
        .bindPopup(box).addTo(map);
      marker.activityId = m.id;
      points.push([m.lat, m.lon]);
    });
    if (points.length > 1) map.fitBounds(points, { padding: [24, 24], maxZoom: 16, animate: false });
    else if (points.length === 1) map.setView(points[0], 15, { animate: false });
    el.dataset.markerCount = String(markers.length);
    window.civicgridVolMap = map;
  });
})();
