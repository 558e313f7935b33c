/* The console on every page: keyboard shortcuts, clickable queue rows, a polite live refresh,
 * and the search box of the category pickers. No framework: htmx does the requests. */
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // "/" focuses the queue search (or the first picker search on a case page).
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) return;
    const target = document.getElementById("f-q") || document.querySelector(".picker-search");
    if (target) { e.preventDefault(); target.focus(); target.select && target.select(); }
  });

  // A click anywhere on a queue row opens the case (the number is the keyboard-reachable link).
  document.addEventListener("click", function (e) {
    const row = e.target.closest && e.target.closest("tr[data-href]");
    if (!row || e.target.closest("a, button, input, select, textarea")) return;
    if (window.getSelection && String(window.getSelection())) return; // the user is selecting text
    window.location.href = row.dataset.href;
  });

  // The live refresh must not pull the table from under someone working in it with the keyboard.
  document.addEventListener("htmx:beforeRequest", function (e) {
    const elt = e.detail && e.detail.elt;
    if (!elt || elt.id !== "queue-table") return;
    const active = document.activeElement;
    if (active && active !== document.body && elt.contains(active)) e.preventDefault();
  });

  // Category pickers: typing in the search box narrows the options of its <select>.
  document.addEventListener("input", function (e) {
    const box = e.target;
    if (!box.classList || !box.classList.contains("picker-search")) return;
    const select = document.getElementById(box.dataset.picker);
    if (!select) return;
    const words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let first = null;
    Array.prototype.forEach.call(select.options, function (opt) {
      const hay = ((opt.dataset.search || "") + " " + opt.text).toLowerCase();
      const show = !opt.value || words.every(function (w) { return hay.indexOf(w) !== -1; });
      opt.hidden = !show;
      if (show && opt.value && !first) first = opt;
    });
    if (first && words.length && (select.selectedOptions.length === 0 || select.selectedOptions[0].hidden)) {
      first.selected = true;
      select.dispatchEvent(new Event("change"));  // what depends on the choice follows it
    }
  });
  // Enter in a picker search moves on to the list instead of submitting the form.
  document.addEventListener("keydown", function (e) {
    const box = e.target;
    if (e.key !== "Enter" || !box.classList || !box.classList.contains("picker-search")) return;
    e.preventDefault();
    const select = document.getElementById(box.dataset.picker);
    if (select) select.focus();
  });
})();

/* After a refused form, take the keyboard (and the eye) to the first field that needs fixing. */
(function () {
  "use strict";
  const first = document.querySelector("#action-error, form [aria-invalid='true']");
  if (!first) return;
  if (!first.matches("input, select, textarea")) first.setAttribute("tabindex", "-1");
  first.focus({ preventScroll: true });
  first.scrollIntoView({ block: "center" });
})();
