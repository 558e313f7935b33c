/* Shared by every H5 page: marks that scripts run, and shows a busy state on submitted forms. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The button that sent a form shows it is working. Disabled only after the browser has taken
  // the form's data (a disabled button's name/value would not be sent).
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) return;
    var button = event.submitter;
    if (!button) return;
    setTimeout(function () {
      button.setAttribute("aria-busy", "true");
      button.disabled = true;
      if (button.dataset.busyText) button.textContent = button.dataset.busyText;
    }, 0);
  });

  // Coming back with the browser's back button must not leave buttons stuck.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("button[aria-busy='true']").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  });
})();
