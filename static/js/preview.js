// Previews are rendered in the background: poll each one that is being prepared and show
// it (or why it cannot be shown) as soon as the server has it. Without JavaScript, a reload
// does the same. On the review page, the poll carries the page's visit token
// (data-visit), so the pictures it brings are not logged as new reads; the page's
// workbench.js hears "preview:ready" and lays them out.
(function () {
  "use strict";
  var DELAY_MS = 2000;
  var MAX_TRIES = 90; // three minutes: a render is stopped after 30 s, so this is plenty

  function later(element, tries) {
    if (tries < MAX_TRIES) {
      window.setTimeout(function () { poll(element, tries + 1); }, DELAY_MS);
    }
  }

  function address(element) {
    var url = element.getAttribute("data-preview-poll");
    var page = element.closest("[data-visit]");
    var visit = page && page.getAttribute("data-visit");
    if (!visit) return url;
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "visit=" + encodeURIComponent(visit);
  }

  function poll(element, tries) {
    fetch(address(element), {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text().then(function (html) {
          return { status: response.headers.get("X-Preview-Status"), html: html };
        });
      })
      .then(function (answer) {
        if (answer.status === "pending") return later(element, tries);
        if (element.hasAttribute("data-preview-reload")) return window.location.reload();
        var template = document.createElement("template");
        template.innerHTML = answer.html.trim();
        element.replaceWith(template.content);
        document.dispatchEvent(new CustomEvent("preview:ready"));
      })
      .catch(function () { later(element, tries + 1); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-preview-poll]").forEach(function (element) {
      later(element, 0);
    });
  });
})();
