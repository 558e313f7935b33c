/* 智能推荐 on the report page: a tap on a suggested category chooses it in the category picker. */
(function () {
  "use strict";
  var box = document.getElementById("category-suggest");
  var select = document.getElementById("id_category");
  if (!box || !select) return;
  function mark() {
    box.querySelectorAll("button.chip[data-value]").forEach(function (chip) {
      var on = chip.dataset.value === select.value;
      chip.classList.toggle("on", on);
      chip.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  box.addEventListener("click", function (event) {
    var chip = event.target.closest("button.chip[data-value]");
    if (!chip) return;
    select.value = chip.dataset.value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    var error = document.getElementById("error-category");
    if (error) error.textContent = "";
    mark();
  });
  select.addEventListener("change", mark);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (box.contains(event.target)) mark();
  });
})();
