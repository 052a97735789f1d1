// 12345 pages: small behaviours kept out of the HTML (the Content-Security-Policy allows no
// inline script). Everything here is an enhancement: the forms work without it.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function fire(element, type) {
    element.dispatchEvent(new Event(type, { bubbles: true }));
  }

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (o) {
      return o.value === String(value);
    });
  }

  // Choose ``value`` in the select with id ``id`` (if it offers it); says whether it did.
  function choose(id, value) {
    var select = document.getElementById(id);
    if (!select || value === undefined || value === null || value === "") return false;
    if (!hasOption(select, value)) return false;
    select.value = String(value);
    fire(select, "change");
    return true;
  }

  // One submission per page: a second click while the first request is on its way is
  // ignored (the submitter's name and value still travel with the first one).
  function guardDoubleSubmit() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.hasAttribute || !form.hasAttribute("data-hotline-once")) return;
      if (form.dataset.submitting === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.submitting = "1";
      form.setAttribute("aria-busy", "true");
    });
    // back-forward cache: a page shown again may be submitted again
    window.addEventListener("pageshow", function () {
      document.querySelectorAll("form[data-hotline-once]").forEach(function (form) {
        delete form.dataset.submitting;
        form.removeAttribute("aria-busy");
      });
    });
  }

  // A text box that narrows a long select (the category tree: name or 6-digit code).
  function filterSelects() {
    document.querySelectorAll("input[data-filter-select]").forEach(function (input) {
      var select = document.getElementById(input.getAttribute("data-filter-select"));
      if (!select) return;
      input.addEventListener("input", function () {
        var needle = input.value.trim().toLowerCase();
        var matches = [];
        Array.prototype.forEach.call(select.options, function (option) {
          if (!option.value) return;
          var hit = !needle || option.text.toLowerCase().indexOf(needle) !== -1;
          if (!hit && option.parentElement && option.parentElement.tagName === "OPTGROUP") {
            hit = option.parentElement.label.toLowerCase().indexOf(needle) !== -1;
          }
          option.hidden = !hit;
          if (hit) matches.push(option);
        });
        select.querySelectorAll("optgroup").forEach(function (group) {
          group.hidden = !Array.prototype.some.call(group.children, function (o) {
            return !o.hidden;
          });
        });
        if (needle && matches.length === 1 && select.value !== matches[0].value) {
          select.value = matches[0].value;
          fire(select, "change");
        }
      });
    });
  }

  // 采用建议: the suggested category (and unit) go into the form's selects.
  function adoptSuggestions() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-adopt-category], [data-adopt-unit]") : null;
      if (!button) return;
      event.preventDefault();
      var done = false;
      var category = button.getAttribute("data-adopt-category");
      var unit = button.getAttribute("data-adopt-unit");
      if (category) done = choose("id_category", category) || done;
      if (unit) done = choose("id_unit", unit) || done;
      if (done) {
        button.classList.add("hotline-adopted");
        button.setAttribute("aria-pressed", "true");
      }
    });
  }

  // The knowledge-base partial is asked with ?q=<the content>&category=<the category>.
  function knowledgeParameters() {
    document.body.addEventListener("htmx:configRequest", function (event) {
      var element = event.detail.elt;
      if (!element || !element.hasAttribute || !element.hasAttribute("data-kb-source")) return;
      var source = document.getElementById(element.getAttribute("data-kb-source"));
      var category = document.getElementById(element.getAttribute("data-kb-category") || "");
      event.detail.parameters.q = source ? source.value.slice(0, 300) : "";
      if (category && category.value) event.detail.parameters.category = category.value;
    });
  }

  ready(function () {
    guardDoubleSubmit();
    filterSelects();
    adoptSuggestions();
    knowledgeParameters();
  });
})();
