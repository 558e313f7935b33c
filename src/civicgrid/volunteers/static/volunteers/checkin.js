/* The venue code's page: before a check-in or check-out is sent, ask the phone where it is and send
 * that with it. Without a position (refused, no GPS) the check is still sent: the service queues it
 * for the organiser's review ("no location") rather than accepting it silently. */
(function () {
  "use strict";
  var form = document.querySelector("[data-check-form]");
  if (!form) return;
  var status = document.getElementById("locate-status");
  var located = false;
  form.addEventListener("submit", function (event) {
    if (located || !navigator.geolocation) return;
    event.preventDefault();
    var button = event.submitter;
    if (status) status.textContent = form.dataset.locating || "…";
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    function send() {
      located = true;
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      form.requestSubmit(button);
    }
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("check-lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("check-lon").value = pos.coords.longitude.toFixed(6);
      send();
    }, function () {
      if (status) status.textContent = form.dataset.noLocation || "";
      send();
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  });
})();
