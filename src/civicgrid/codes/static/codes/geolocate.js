// Fill the lat/lon fields of a [data-geolocate] form from the browser's position
// (on the "use my location" button, or at once for [data-auto]). Works without it: fields stay editable.
(function () {
  var form = document.querySelector("form[data-geolocate]");
  if (!form || !navigator.geolocation) return;
  function locate(submit) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(6);
      form.querySelector("[name=lon]").value = pos.coords.longitude.toFixed(6);
      if (submit) form.submit();
    }, function () {}, { enableHighAccuracy: true, timeout: 10000 });
  }
  var button = form.querySelector("[data-locate]");
  if (button) button.addEventListener("click", function () { locate(true); });
  if (form.hasAttribute("data-auto")) locate(false);
})();
