// A private link carries "#REFERENCE:CODE". The fragment never reaches the server or a
// Referer header; this script moves it into the form, clears it from the address bar
// and sends the form by POST.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var hash = window.location.hash.slice(1);
    var form = document.getElementById("resume-form");
    if (!hash || !form) return;
    var parts = decodeURIComponent(hash).split(":");
    history.replaceState(null, "", window.location.pathname);
    if (parts.length !== 2) return;
    form.querySelector("[name=reference]").value = parts[0];
    form.querySelector("[name=code]").value = parts[1];
    form.submit();
  });
})();
