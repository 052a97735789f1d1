// Small behaviours of our own pages, kept out of the HTML because the Content-Security-Policy
// allows no inline script.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    // Language switcher: submit as soon as a language is chosen (the button is for no-JS).
    var select = document.getElementById("language-select");
    if (select) {
      select.addEventListener("change", function () {
        select.form.submit();
      });
    }
    // Print buttons ([data-print], hidden without JS): open the browser's print dialog.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  });
})();
