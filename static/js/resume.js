// A private link carries "#REFERENCE:CODE". The fragment never reaches the server or a
// Referer header; this script moves it into the form, clears it from the address bar
// and sends the form by POST. After the POST the server redirects to the clean ticket URL.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var hash = window.location.hash.slice(1);
    var form = document.getElementById("resume-form");
    if (!hash || !form) return;
    // Clear the address bar first, so the code leaves no trace in history even if the
    // rest fails.
    history.replaceState(null, "", window.location.pathname);
    var text;
    try {
      text = decodeURIComponent(hash);
    } catch (e) {
      return;
    }
    var parts = text.split(":");
    if (parts.length !== 2 || !parts[0] || !parts[1]) return;
    form.querySelector("[name=reference]").value = parts[0].trim();
    form.querySelector("[name=code]").value = parts[1].trim();
    form.submit();
  });
})();
