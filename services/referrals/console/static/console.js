// The console's few behaviours, from a file of its own: the Content-Security-Policy allows no inline script
// nor handler. Print buttons, the focus on a form's error summary, a page waiting for the matcher that
// reloads itself.
(function () {
  "use strict";
  document.querySelectorAll("[data-imprimer]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var summary = document.querySelector("[data-focus]");
  if (summary) { summary.focus(); }
  var waiting = document.querySelector("[data-recharger]");
  if (waiting) {
    setTimeout(function () { location.reload(); }, Number(waiting.getAttribute("data-recharger")) || 1000);
  }
})();
