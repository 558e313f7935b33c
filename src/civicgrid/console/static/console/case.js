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

/* 立案: the button says where an auto-dispatch category goes at once (the option's data-dispatch). */
(function () {
  "use strict";
  const select = document.getElementById("register-category");
  const button = document.getElementById("register-submit");
  const hint = document.getElementById("register-dispatch-hint");
  if (!select || !button) return;
  function update() {
    const option = select.options[select.selectedIndex];
    const to = option ? option.dataset.dispatch : "";
    button.textContent = to ? button.dataset.labelDispatch.replace("%s", to) : button.dataset.label;
    if (hint) hint.hidden = !to;
  }
  select.addEventListener("change", update);
  update();
})();
