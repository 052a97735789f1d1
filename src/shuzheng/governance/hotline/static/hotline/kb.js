// 知识库 suggestions: "使用此口径答复" copies an article's answer into the direct-answer box
// (textarea#answer) and its id into input#answer-article, so the order records which
// article answered it. A static file because the Content-Security-Policy forbids inline
// script; one delegated listener, so it also works for suggestions htmx swaps in later.
// Buttons: data-kb-answer = the id of the element holding the answer text (or the text
// itself), data-article = the article's id.
(function () {
  "use strict";
  if (window.shuzhengKnowledge) return; // loaded twice (page head and a partial): bind once
  window.shuzhengKnowledge = true;

  function answerText(button) {
    var value = button.getAttribute("data-kb-answer") || "";
    var holder = /^[A-Za-z][\w-]*$/.test(value) ? document.getElementById(value) : null;
    if (!holder) return value;
    // <br> from linebreaksbr back to new lines
    var copy = holder.cloneNode(true);
    copy.querySelectorAll("br").forEach(function (br) {
      br.replaceWith("\n");
    });
    return copy.textContent.replace(/\n{3,}/g, "\n\n").trim();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-kb-answer]") : null;
    if (!button) return;
    var box = document.getElementById("answer");
    if (!box) return;
    event.preventDefault();
    box.value = answerText(button);
    var article = document.getElementById("answer-article");
    if (article) article.value = button.getAttribute("data-article") || "";
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
    document.querySelectorAll("[data-kb-answer][aria-pressed]").forEach(function (other) {
      other.removeAttribute("aria-pressed");
    });
    button.setAttribute("aria-pressed", "true");
  });
})();
