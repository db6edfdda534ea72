// Shared page behaviour: focus the first error, confirm destructive actions.
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
  document.addEventListener("DOMContentLoaded", function () {
    focusFirstError();
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  });
})();
