/* 智能推荐 at 立案: a click on a suggested category chooses it in the category picker. */
(function () {
  "use strict";
  const box = document.getElementById("register-suggest");
  const select = box ? document.getElementById(box.dataset.picker) : null;
  if (!box || !select) return;
  box.addEventListener("click", function (event) {
    const pick = event.target.closest("button.suggest-pick[data-value]");
    if (!pick) return;
    select.value = pick.dataset.value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    select.focus();
  });
})();
