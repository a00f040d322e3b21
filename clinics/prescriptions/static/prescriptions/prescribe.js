// Catalogue search on the prescribing page: type a name, add a drug to the next free Rp.
// line (its code and dose unit filled in). No inline script: served as a static file.
(function () {
  "use strict";
  var input = document.getElementById("drug-search");
  var list = document.getElementById("drug-results");
  if (!input || !list) { return; }
  var timer = null;

  function freeRow() {
    var rows = document.querySelectorAll("#prescription-form tr.item");
    for (var i = 0; i < rows.length; i++) {
      if (!rows[i].querySelector(".drug-code").value) { return rows[i]; }
    }
    return null;
  }

  function add(drug) {
    var row = freeRow();
    if (!row) { return; }
    row.querySelector(".drug-code").value = drug.code;
    row.querySelector(".unit").value = drug.unit;
    var route = row.querySelector(".route");
    if (route.querySelector('option[value="' + drug.route + '"]')) { route.value = drug.route; }
    row.querySelector(".dose").focus();
  }

  function show(drugs) {
    list.textContent = "";
    drugs.forEach(function (drug) {
      var li = document.createElement("li");
      li.dataset.code = drug.code;
      li.textContent = drug.name + " " + drug.strength + " (" + drug.code + ") ";
      if (drug.restricted) {
        var note = document.createElement("em");
        note.textContent = list.dataset.restrictedLabel;
        li.appendChild(note);
      } else {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "add-drug";
        button.textContent = list.dataset.addLabel;
        button.addEventListener("click", function () { add(drug); });
        li.appendChild(button);
      }
      list.appendChild(li);
    });
  }

  function search() {
    var q = input.value.trim();
    if (!q) { list.textContent = ""; return; }
    fetch(list.dataset.api + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(show)
      .catch(function () { list.textContent = ""; });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
})();
