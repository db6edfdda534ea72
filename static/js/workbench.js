// The reviewer's workbench (templates/review/ticket.html): one file at a time in the
// viewer, with zoom, rotation and page thumbnails; file reviews, requests and the ticket's
// decision sent without leaving the page; keyboard shortcuts. Without this script the page
// shows every file and its forms post as plain forms, which still work.
//
// Sending: a form marked data-workbench is posted as it is (its CSRF token included) with
// `Accept: application/json`. The server answers the page's regions re-rendered
// (triage/review/views.py): "state" regions are swapped in always, "form" regions only
// when the reviewer has not touched them (they sent that form, the ticket's status
// changed, or nothing was typed or ticked there). A refusal shows its errors in the form, keeping what was typed. One request at
// a time, in order, so a slow answer never overwrites a newer one.
(function () {
  "use strict";

  var root = document.getElementById("workbench");
  if (!root) return;

  var WIDE = window.matchMedia("(min-width: 1100px)");
  var ZOOM_STEP = 1.25;
  var ZOOM_MIN = 0.05;
  var ZOOM_MAX = 10;
  var SHORTCUTS_KEY = "workbench.shortcuts";
  var HISTORY_KEY = "workbench.history";

  var files = [];
  var current = 0;
  var looks = {}; // file id -> {zoom: null (fit) or a scale, turns: quarter turns, page}
  var queue = Promise.resolve();
  var armed = false; // "r" was pressed: the next digit is a reason

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ }
  }

  function announce(message, isError) {
    var box = document.getElementById("workbench-status");
    if (!box) return;
    box.textContent = message || "";
    box.classList.toggle("is-error", !!isError);
    box.classList.toggle("is-shown", !!message);
  }

  // --- the viewer -------------------------------------------------------------------------

  function figure(id) { return document.getElementById("view-" + id); }
  function card(id) { return document.getElementById("evidence-" + id); }
  function look(id) {
    if (!looks[id]) looks[id] = { zoom: null, turns: 0, page: 1 };
    return looks[id];
  }

  function pictures(id) {
    var fig = figure(id);
    return fig ? Array.prototype.slice.call(fig.querySelectorAll(".viewer-pages .viewer-image")) : [];
  }

  function show(index, scrollCard) {
    if (!files.length) return;
    current = Math.max(0, Math.min(files.length - 1, index));
    files.forEach(function (id, i) {
      var fig = figure(id);
      if (fig) fig.hidden = i !== current;
      var thumb = document.getElementById("thumb-" + id);
      if (thumb) {
        if (i === current) thumb.setAttribute("aria-current", "true");
        else thumb.removeAttribute("aria-current");
      }
    });
    markCurrentCard();
    var id = files[current];
    var position = document.getElementById("viewer-position");
    if (position) position.textContent = "File " + (current + 1) + " of " + files.length;
    var thumb = document.getElementById("thumb-" + id);
    if (thumb && thumb.scrollIntoView) thumb.scrollIntoView({ block: "nearest", inline: "nearest" });
    pageThumbs(id);
    apply(id);
    var c = card(id);
    if (scrollCard && c && WIDE.matches) c.scrollIntoView({ block: "nearest" });
  }

  function markCurrentCard() {
    files.forEach(function (id, i) {
      var c = card(id);
      if (c) c.classList.toggle("is-current", i === current);
    });
  }

  // Lay the current picture out at its zoom and rotation. The browser has already turned
  // a photo upright from its EXIF orientation (image-orientation: from-image), so
  // naturalWidth/Height are the upright size and our quarter turns come on top of it.
  function apply(id) {
    var state = look(id);
    var all = pictures(id);
    var zoomWords = document.getElementById("viewer-zoom");
    if (!all.length) {
      if (zoomWords) zoomWords.textContent = "—";
      return;
    }
    state.page = Math.max(1, Math.min(all.length, state.page));
    all.forEach(function (img, i) { img.hidden = i !== state.page - 1; });
    var img = all[state.page - 1];
    var thumbs = figure(id).querySelectorAll(".page-thumb");
    Array.prototype.forEach.call(thumbs, function (button, i) {
      button.setAttribute("aria-pressed", i === state.page - 1 ? "true" : "false");
    });
    if (!img.complete || !img.naturalWidth) {
      img.addEventListener("load", function () { if (files[current] === id) apply(id); }, { once: true });
      return;
    }
    var stage = figure(id).querySelector(".viewer-stage");
    var holder = img.parentNode;
    var width = img.naturalWidth;
    var height = img.naturalHeight;
    var turned = state.turns % 2 === 1;
    var boxWidth = turned ? height : width;
    var boxHeight = turned ? width : height;
    var roomWidth = Math.max(stage.clientWidth - 16, 50);
    // Fit what can be seen now: at the top of the page the stage runs below the window.
    var seen = window.innerHeight - stage.getBoundingClientRect().top - 8;
    var roomHeight = Math.max(Math.min(stage.clientHeight, seen > 120 ? seen : stage.clientHeight) - 16, 50);
    var fit = Math.min(roomWidth / boxWidth, roomHeight / boxHeight);
    var scale = state.zoom === null ? fit : state.zoom;
    holder.style.width = boxWidth * scale + "px";
    holder.style.height = boxHeight * scale + "px";
    img.style.width = width * scale + "px";
    img.style.height = height * scale + "px";
    img.style.transform = "translate(-50%, -50%) rotate(" + state.turns * 90 + "deg)";
    if (zoomWords) {
      zoomWords.textContent = (state.zoom === null ? "fit " : "") + Math.round(scale * 100) + "%";
    }
  }

  function currentScale(id) {
    var state = look(id);
    if (state.zoom !== null) return state.zoom;
    var img = pictures(id)[state.page - 1];
    if (!img || !img.naturalWidth) return 1;
    return parseFloat(img.style.width) / img.naturalWidth || 1;
  }

  function zoom(factor) {
    var id = files[current];
    if (!id) return;
    var scale = currentScale(id) * factor;
    look(id).zoom = Math.max(ZOOM_MIN, Math.min(ZOOM_MAX, scale));
    apply(id);
  }

  function fit() {
    var id = files[current];
    if (!id) return;
    look(id).zoom = null;
    apply(id);
  }

  function rotate() {
    var id = files[current];
    if (!id) return;
    var state = look(id);
    state.turns = (state.turns + 1) % 4;
    apply(id);
  }

  function turnPage(step) {
    var id = files[current];
    if (!id) return;
    look(id).page += step;
    apply(id);
  }

  // A document of several pages gets a row of page thumbnails (the same pictures, so the
  // same visit: no further reads).
  function pageThumbs(id) {
    var fig = figure(id);
    if (!fig) return;
    var row = fig.querySelector(".page-thumbs");
    var all = pictures(id);
    if (!row || all.length < 2 || row.childElementCount) return;
    all.forEach(function (img, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "page-thumb";
      button.setAttribute("aria-label", "Page " + (i + 1));
      var small = document.createElement("img");
      small.src = img.getAttribute("src");
      small.alt = "";
      small.loading = "lazy";
      var number = document.createElement("span");
      number.textContent = String(i + 1);
      button.appendChild(small);
      button.appendChild(number);
      button.addEventListener("click", function () {
        look(id).page = i + 1;
        apply(id);
      });
      row.appendChild(button);
    });
    row.hidden = false;
  }

  // --- sending forms ----------------------------------------------------------------------

  // The API's field words as a sentence, as the server's pages write them
  // (forms.tickets.as_sentence): "is required …" → "This is required …".
  function sentence(text) {
    text = String(text || "").trim();
    if (!text) return text;
    if (/^(is|must|contains) /.test(text)) text = "This " + text;
    text = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?]$/.test(text) ? text : text + ".";
  }

  function clearErrors(form) {
    form.querySelectorAll(".js-error, .field-error").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    });
  }

  function materialLabel(key) {
    var box = document.getElementById("ask-" + key);
    var label = box && box.closest("label");
    return label ? label.textContent.trim() : key;
  }

  function showErrors(form, error) {
    var prefix = form.getAttribute("data-prefix") || "";
    var fields = error.fields || {};
    var first = null;
    Object.keys(fields).forEach(function (name) {
      var controls = form.querySelectorAll('[name="' + prefix + name + '"]');
      if (!controls.length) return;
      var control = controls[0];
      var box = control.closest("fieldset") || control.closest(".field") || control.parentNode;
      box.classList.add("has-error");
      var message = document.createElement("p");
      message.className = "field-error js-error";
      message.id = (control.id || prefix + name) + "-js-error";
      message.textContent = sentence(fields[name]);
      var legend = box.querySelector("legend, label");
      if (legend && legend.parentNode === box) legend.insertAdjacentElement("afterend", message);
      else box.insertBefore(message, box.firstChild);
      Array.prototype.forEach.call(controls, function (input) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", message.id);
      });
      first = first || control;
    });
    var summary = document.createElement("div");
    summary.className = "error-summary js-error";
    summary.setAttribute("role", "alert");
    summary.tabIndex = -1;
    var heading = document.createElement("p");
    heading.className = "error-title";
    heading.textContent = sentence(error.message || "That was not done");
    summary.appendChild(heading);
    if (error.missing && error.missing.length) {
      var list = document.createElement("ul");
      error.missing.forEach(function (key) {
        var item = document.createElement("li");
        item.textContent = materialLabel(key);
        list.appendChild(item);
      });
      summary.appendChild(document.createTextNode("Not yet covered by accepted evidence:"));
      summary.appendChild(list);
    }
    form.insertBefore(summary, form.firstChild);
    (first || summary).focus();
    announce(sentence(error.message || "That was not done"), true);
  }

  function swapRegions(form, answer) {
    var statusChanged = !!answer.status && answer.status !== root.getAttribute("data-status");
    var own = form.closest("[data-region]");
    var ownName = own ? own.getAttribute("data-region") : null;
    var regions = answer.regions || {};
    Object.keys(regions).forEach(function (name) {
      var old = document.querySelector('[data-region="' + name + '"]');
      if (!old) return;
      var kind = old.getAttribute("data-region-kind");
      if (kind === "form" && !statusChanged && name !== ownName && old.hasAttribute("data-touched")) return;
      var template = document.createElement("template");
      template.innerHTML = regions[name];
      var fresh = template.content.firstElementChild;
      if (fresh) old.replaceWith(fresh);
    });
    if (answer.status) root.setAttribute("data-status", answer.status);
    if (statusChanged) dropLoadedNotices();
    fileStates();
    markCurrentCard();
    historyOrder();
  }

  // The flashed notices above the workbench (base.html) speak of the ticket as it was
  // when the page loaded: "Ticket X is yours for the next 30 minutes" is wrong once the
  // ticket is decided or released in the page. When an answer changes the ticket's status
  // they go, and the answer's message, in the status box, says what is true now; errors
  // stay until the reviewer has read them (a reload drops them all).
  function dropLoadedNotices() {
    document.querySelectorAll("main > .notice:not(.notice-error)").forEach(function (node) {
      node.remove();
    });
  }

  // The strip and the viewer say what each card says about its file.
  function fileStates() {
    files.forEach(function (id) {
      var c = card(id);
      if (!c) return;
      var state = c.classList.contains("file-accepted")
        ? "accepted"
        : c.classList.contains("file-rejected") ? "rejected" : "pending";
      var words = state === "pending" ? "to review" : state;
      var badgeClass = "badge badge-" + (state === "pending" ? "provided" : state);
      var thumb = document.getElementById("thumb-" + id);
      if (thumb) {
        thumb.classList.remove("file-accepted", "file-rejected", "file-pending");
        thumb.classList.add("file-" + state);
        var badge = thumb.querySelector(".thumb-state");
        if (badge) { badge.className = badgeClass + " thumb-state"; badge.textContent = words; }
      }
      var fig = figure(id);
      var viewBadge = fig && fig.querySelector(".view-state");
      if (viewBadge) { viewBadge.className = badgeClass + " view-state"; viewBadge.textContent = words; }
    });
  }

  function send(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    clearErrors(form);
    form.setAttribute("aria-busy", "true");
    announce("Saving…");
    var job = queue.then(function () {
      return fetch(form.getAttribute("action"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        // The visit goes on: pictures in the new regions are not new reads.
        headers: { Accept: "application/json", "X-Review-Visit": root.getAttribute("data-visit") || "" },
      }).then(function (response) {
        return response.json().then(
          function (body) { return { ok: response.ok, status: response.status, body: body }; },
          function () { return { ok: false, status: response.status, body: null }; }
        );
      });
    }).then(function (answer) {
      form.removeAttribute("aria-busy");
      if (!answer.body) {
        showErrors(form, { message: "Not saved: the server answered " + answer.status + ". Reload the page and try again" });
        return false;
      }
      if (!answer.ok) {
        showErrors(form, answer.body.error || {});
        return false;
      }
      // Another page (the next ticket, or the queue when nothing waits): go there, so the
      // address bar, history and reload all say where the reviewer is.
      var target = answer.body.location && new URL(answer.body.location, window.location.href);
      if (target && target.pathname !== window.location.pathname) {
        announce(answer.body.message);
        window.location.assign(target.href);
        return true;
      }
      swapRegions(form, answer.body);
      announce(answer.body.message);
      return true;
    }, function () {
      form.removeAttribute("aria-busy");
      showErrors(form, { message: "Not saved: the connection failed. Try again" });
      return false;
    });
    queue = job.catch(function () { return false; });
    return job;
  }

  // A form region the reviewer typed or ticked in is theirs: not replaced under them.
  function touched(event) {
    var region = event.target.closest && event.target.closest("[data-region-kind=form]");
    if (region) region.setAttribute("data-touched", "");
  }
  document.addEventListener("input", touched);
  document.addEventListener("change", touched);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-workbench]")) return;
    event.preventDefault();
    send(form, event.submitter);
  });

  // --- decisions by key -------------------------------------------------------------------

  function fileForm() {
    var c = card(files[current]);
    return c ? c.querySelector("form[data-workbench=file]") : null;
  }

  function decideFile(decision, reasonNumber) {
    var form = fileForm();
    if (!form) {
      announce("This file cannot be reviewed here: the ticket is not yours to act on.", true);
      return;
    }
    var prefix = form.getAttribute("data-prefix") || "";
    var radio = form.querySelector('input[name="' + prefix + 'decision"][value="' + decision + '"]');
    var reason = form.querySelector('select[name="' + prefix + 'reason"]');
    if (!radio || !reason) return;
    if (decision === "rejected") {
      if (reasonNumber >= reason.options.length) {
        announce("There is no reason " + reasonNumber + ".", true);
        return;
      }
      reason.selectedIndex = reasonNumber; // option 0 is "choose a reason"
    } else {
      reason.selectedIndex = 0;
    }
    radio.checked = true;
    var index = current;
    send(form, null).then(function (ok) {
      if (ok && index === current && current < files.length - 1) show(current + 1, true);
    });
  }

  function armReject() {
    if (!fileForm()) {
      announce("This file cannot be reviewed here: the ticket is not yours to act on.", true);
      return;
    }
    armed = true;
    announce("Reject: press the reason's number (1–9, 0 for the tenth); any other key cancels.");
    document.body.classList.add("reject-armed");
  }

  function focusForm(id, selector) {
    var form = document.getElementById(id);
    if (!form) {
      announce("That is not possible on this ticket now.", true);
      return;
    }
    var target = form.querySelector(selector) || form.querySelector("input, textarea, button");
    form.scrollIntoView({ block: "start" });
    if (target) target.focus();
  }

  function decideAndTakeNext() {
    var button = document.getElementById("decide-next");
    var form = document.getElementById("decision-form");
    if (!button || !form) {
      announce("There is no decision to save on this ticket now.", true);
      return;
    }
    if (form.requestSubmit) form.requestSubmit(button);
    else button.click();
  }

  function toggleShortcuts() {
    var box = document.getElementById("shortcuts");
    if (!box) return;
    box.hidden = !box.hidden;
    store(SHORTCUTS_KEY, box.hidden ? "hidden" : "shown");
    document.querySelectorAll('[data-tool="shortcuts"]').forEach(function (button) {
      button.setAttribute("aria-expanded", box.hidden ? "false" : "true");
    });
  }

  function typing(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable) return true;
    if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
    if (target.tagName !== "INPUT") return false;
    return !/^(radio|checkbox|button|submit|reset)$/.test(target.type);
  }

  var KEYS = {
    j: function () { show(current + 1, true); },
    ArrowRight: function () { show(current + 1, true); },
    k: function () { show(current - 1, true); },
    ArrowLeft: function () { show(current - 1, true); },
    a: function () { decideFile("accepted"); },
    r: armReject,
    d: function () { focusForm("decision-form", "input[type=radio]:checked, input[type=radio]"); },
    m: function () { focusForm("request-form", "textarea"); },
    n: decideAndTakeNext,
    "+": function () { zoom(ZOOM_STEP); },
    "=": function () { zoom(ZOOM_STEP); },
    "-": function () { zoom(1 / ZOOM_STEP); },
    "0": fit,
    o: rotate,
    "[": function () { turnPage(-1); },
    "]": function () { turnPage(1); },
    "?": toggleShortcuts,
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (armed) {
      armed = false;
      document.body.classList.remove("reject-armed");
      if (/^[0-9]$/.test(event.key)) {
        event.preventDefault();
        decideFile("rejected", event.key === "0" ? 10 : Number(event.key));
      } else {
        announce("Not rejected.");
      }
      return;
    }
    // Arrow keys move between the choices of a radio group: leave them to it.
    if (target.type === "radio" && /^Arrow/.test(event.key)) return;
    var action = KEYS[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // --- clicks -----------------------------------------------------------------------------

  var TOOLS = {
    previous: function () { show(current - 1, true); },
    next: function () { show(current + 1, true); },
    "zoom-in": function () { zoom(ZOOM_STEP); },
    "zoom-out": function () { zoom(1 / ZOOM_STEP); },
    fit: fit,
    rotate: rotate,
    shortcuts: toggleShortcuts,
  };

  document.addEventListener("click", function (event) {
    var tool = event.target.closest("[data-tool]");
    if (tool && TOOLS[tool.getAttribute("data-tool")]) {
      TOOLS[tool.getAttribute("data-tool")]();
      return;
    }
    var link = event.target.closest("[data-show-file]");
    if (link) {
      var index = files.indexOf(link.getAttribute("data-show-file"));
      if (index >= 0) {
        event.preventDefault();
        show(index, !link.closest("#file-strip"));
        if (!WIDE.matches) document.getElementById("viewer").scrollIntoView({ block: "start" });
      }
      return;
    }
    if (event.target.closest("#history-order")) {
      store(HISTORY_KEY, stored(HISTORY_KEY) === "newest" ? "oldest" : "newest");
      historyOrder();
    }
  });

  // --- the history's order ----------------------------------------------------------------

  function historyOrder() {
    var rows = document.getElementById("history-rows");
    var button = document.getElementById("history-order");
    if (!rows || !button) return;
    button.hidden = false;
    var wanted = stored(HISTORY_KEY) === "newest" ? "newest" : "oldest";
    var shown = rows.getAttribute("data-order") || "oldest";
    if (wanted !== shown) {
      Array.prototype.slice.call(rows.children).reverse().forEach(function (row) { rows.appendChild(row); });
      rows.setAttribute("data-order", wanted);
    }
    button.textContent = wanted === "newest" ? "Oldest first" : "Newest first";
    button.setAttribute("aria-pressed", wanted === "newest" ? "true" : "false");
  }

  // --- start ------------------------------------------------------------------------------

  function start() {
    document.body.classList.add("has-workbench");
    files = Array.prototype.map.call(
      document.querySelectorAll("#file-strip [data-show-file]"),
      function (link) { return link.getAttribute("data-show-file"); }
    );
    var toolbar = document.querySelector(".viewer-toolbar");
    if (toolbar) toolbar.hidden = false;
    var box = document.getElementById("shortcuts");
    if (box) {
      box.hidden = stored(SHORTCUTS_KEY) === "hidden";
      document.querySelectorAll('[data-tool="shortcuts"]').forEach(function (button) {
        button.setAttribute("aria-expanded", box.hidden ? "false" : "true");
      });
    }
    historyOrder();
    // Start at the file the address names, else the first one nobody has decided on.
    var named = /^#(?:view|evidence)-([0-9a-f]+)$/.exec(window.location.hash);
    var start = named ? files.indexOf(named[1]) : -1;
    if (start < 0) {
      start = files.findIndex(function (id) {
        var c = card(id);
        return c && c.classList.contains("file-pending");
      });
    }
    show(Math.max(start, 0), false);
    var pending = false;
    function refit() {
      // A picture at "fit" follows the window and the part of the stage in view.
      if (pending || !files.length || look(files[current]).zoom !== null) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        apply(files[current]);
      });
    }
    window.addEventListener("resize", refit);
    window.addEventListener("scroll", refit, { passive: true });
    // preview.js swapped in a preview that became ready: lay it out.
    document.addEventListener("preview:ready", function () {
      files.forEach(function (id) {
        var row = figure(id) && figure(id).querySelector(".page-thumbs");
        if (row && !row.childElementCount) pageThumbs(id);
      });
      if (files.length) apply(files[current]);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
