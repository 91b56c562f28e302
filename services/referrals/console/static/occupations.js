// Suggestions from the ROME 4.0 referential while the auditor types a job title (the form works without it:
// a code such as "H2913" typed by hand is accepted too).
(function () {
  "use strict";
  var timers = {};
  document.querySelectorAll("input[data-metiers]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-metiers"));
    input.addEventListener("input", function () {
      var typed = input.value.trim();
      clearTimeout(timers[input.id]);
      if (typed.length < 2 || /^[A-N][0-9]{4} — /.test(typed)) { return; }
      timers[input.id] = setTimeout(function () {
        fetch("/console/auditeur/metiers?q=" + encodeURIComponent(typed), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (found) {
            list.innerHTML = "";
            found.forEach(function (o) {
              var option = document.createElement("option");
              option.value = o.code + " — " + o.libelle;
              list.appendChild(option);
            });
          });
      }, 150);
    });
  });
})();
