// Shared page behaviour: focus the first error, confirm destructive actions, copy buttons.
(function () {
  "use strict";
  function focusFirstError() {
    var summary = document.querySelector(".error-summary[tabindex], [role=alert].error-summary");
    var invalid = document.querySelector("[aria-invalid=true]");
    var target = invalid || summary;
    if (target) {
      target.focus();
      if (target.scrollIntoView) target.scrollIntoView({ block: "center" });
    }
  }
  // Select the text of `target`, so the customer can copy it themselves if we cannot.
  function select(target) {
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function legacyCopy(target) {
    select(target);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  // A button with data-copy="<id>" copies that element's text; its words come with it
  // (data-copied, data-failed), in the page's language.
  function copyButton(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) return;
    var status = button.parentNode.querySelector(".copy-status");
    if (!status) {
      status = document.createElement("span");
      status.className = "copy-status";
      status.setAttribute("role", "status");
      button.insertAdjacentElement("afterend", status);
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = (target.value || target.textContent).trim();
      function done(ok) {
        status.textContent = button.getAttribute(ok ? "data-copied" : "data-failed");
        if (!ok) select(target);
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(
          function () { done(true); },
          function () { done(legacyCopy(target)); }
        );
      } else {
        done(legacyCopy(target));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirstError();
    document.querySelectorAll("button[data-copy]").forEach(copyButton);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  });
})();
