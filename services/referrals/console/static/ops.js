// Refresh the operators' tables and charts every 10 seconds, without reloading the page (focus stays put).
(function () {
  "use strict";
  var target = document.getElementById("tableau");
  var status = document.getElementById("rafraichi");
  setInterval(function () {
    fetch("/console/exploitation/tableau", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (html) {
        target.innerHTML = html;
        status.textContent = "Mis à jour à " + new Date().toLocaleTimeString("fr-FR") + " ; actualisation toutes les 10 secondes.";
      })
      .catch(function (error) { status.textContent = "Service injoignable : " + error.message; });
  }, 10000);
})();
