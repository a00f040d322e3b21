// Behaviour every page shares, kept out of the HTML: the Content-Security-Policy allows no
// inline script or event handler attribute (docs/security.md).
(function () {
  "use strict";
  // The language switch submits as soon as a language is picked.
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
