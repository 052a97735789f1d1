// Small behaviours of the exchange pages, kept out of the HTML because the
// Content-Security-Policy allows no inline script: copy buttons ([data-copy] names the element
// whose value or text is copied; hidden without JS) and confirmations ([data-confirm]).
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function say(key) {
    var status = document.getElementById("copy-status");
    if (status) status.textContent = status.getAttribute("data-" + key) || "";
  }

  function fallbackCopy(node) {
    if (node.select) {
      node.select();
    } else {
      var range = document.createRange();
      range.selectNodeContents(node);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  ready(function () {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var node = document.getElementById(button.getAttribute("data-copy"));
      if (!node) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = node.value !== undefined ? node.value : node.textContent;
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(
            function () { say("done"); },
            function () { say(fallbackCopy(node) ? "done" : "failed"); }
          );
        } else {
          say(fallbackCopy(node) ? "done" : "failed");
        }
      });
    });
    document.querySelectorAll("[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  });
})();
