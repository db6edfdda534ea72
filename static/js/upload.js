// Upload forms, enhanced in place: a list of the chosen files with a thumbnail for images,
// the server's type and size rules checked before anything is sent, drag and drop, and one
// request per file with its own progress bar. The server still checks every file and has
// the last word. Without JavaScript the forms post as plain multipart forms.
(function () {
  "use strict";
  if (!window.FormData || !window.XMLHttpRequest || !window.DOMParser) return;

  // The server's rules come with the page, from triage/evidence/policy.py: the upload
  // form's data-max-bytes, data-max-words, data-extensions, data-extension-words and
  // data-image-extensions (also GET /api/v1/vocabulary). A form without them is checked by
  // the server alone.
  function policyOf(form) {
    var data = form.dataset;
    var maxBytes = parseInt(data.maxBytes, 10);
    return {
      maxBytes: maxBytes > 0 ? maxBytes : 0,
      maxWords: data.maxWords || "",
      extensions: tokens(data.extensions),
      extensionWords: data.extensionWords || "",
      images: tokens(data.imageExtensions)
    };
  }
  // Refusals about one file; anything else (state, rate limit, server) stops the batch.
  var PER_FILE_STATUS = [400, 413, 415];
  var PER_FILE_CODES = ["password_protected", "damaged_file"];  // 422, like unknown_material
  // As triage/evidence/names.py: zero-width and bidi marks, the word joiner and the BOM are
  // removed, and only the last part of a path is kept, before the extension is read.
  var INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;

  // The page's words, in its language (templates/tickets/_upload_words.html); English if
  // the page has none. "{name}" places are filled in by `say`.
  var WORDS = {};
  try {
    WORDS = JSON.parse(document.getElementById("upload-words").textContent);
  } catch (e) { WORDS = {}; }
  var LANG = document.documentElement.lang || "en";

  function say(key, values) {
    var text = WORDS[key] || key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  }

  function number(value, digits) {
    try {
      return new Intl.NumberFormat(LANG, { maximumFractionDigits: digits || 0 }).format(value);
    } catch (e) { return String(value); }
  }

  function tokens(value) {
    return (value || "").split(/\s+/).filter(Boolean);
  }

  function percent(value) {
    try {
      return new Intl.NumberFormat(LANG, { style: "percent" }).format(value / 100);
    } catch (e) { return value + "%"; }
  }

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The name the server reads the extension from: NFC, no invisible marks, the last path
  // part, no trailing spaces or dots ("passport.jpg " and "passport.jpg." are .jpg files).
  function cleanName(name) {
    var clean = (name.normalize ? name.normalize("NFC") : name).replace(INVISIBLE, "");
    clean = clean.split(/[\/\\]/).pop();
    return clean.replace(/[\s.]+$/, "");
  }

  function extensionOf(name) {
    var clean = cleanName(name);
    var dot = clean.lastIndexOf(".");
    if (dot === -1) return "";
    var extension = clean.slice(dot + 1);
    return (extension.normalize ? extension.normalize("NFKC") : extension).toLowerCase();
  }

  function formatSize(bytes) {
    if (bytes >= 1048576) return say("megabytes", { size: number(bytes / 1048576, 1) });
    if (bytes >= 1024) return say("kilobytes", { size: number(Math.max(1, Math.round(bytes / 1024))) });
    return say("bytes", { size: number(bytes) });
  }

  // The customer's words for why a file will not be sent, or "" when it may be sent.
  function refusal(file, policy) {
    var name = cleanName(file.name) || file.name;
    var extension = extensionOf(file.name);
    var types = policy.extensionWords;
    if (policy.extensions.length && !extension) {
      return say("noExtension", { name: name, types: types });
    }
    if (policy.extensions.length && policy.extensions.indexOf(extension) === -1) {
      return extension.length <= 10
        ? say("badExtension", { name: name, extension: extension, types: types })
        : say("badType", { name: name, types: types });
    }
    if (file.size === 0) return say("empty", { name: name });
    if (policy.maxBytes && file.size > policy.maxBytes) {
      var limit = policy.maxWords || formatSize(policy.maxBytes);
      var size = formatSize(file.size);
      if (size === formatSize(policy.maxBytes)) size = say("bytes", { size: number(file.size) });
      return say("tooLarge", { name: name, size: size, limit: limit, bytes: number(policy.maxBytes) });
    }
    return "";
  }

  function Uploader(form) {
    this.form = form;
    this.policy = policyOf(form);
    this.input = form.querySelector("input[type=file]");
    this.button = form.querySelector("button[type=submit], button:not([type])");
    this.errorId = this.input.id + "-error";
    this.entries = [];
    this.busy = false;
    this.zone = this.input.closest(".dropzone") || this.input.closest(".field") || form;
    this.zone.classList.add("droppable");

    // Only where there is a mouse to drag with: a phone's finger cannot.
    if (window.matchMedia && window.matchMedia("(pointer: fine)").matches) {
      this.input.insertAdjacentElement("beforebegin", make("p", "hint drop-hint", say("dropHint")));
    }
    this.list = make("ul", "upload-queue");
    this.list.id = this.input.id + "-queue";
    this.list.setAttribute("aria-label", say("chosen"));
    this.list.hidden = true;
    this.input.insertAdjacentElement("afterend", this.list);
    this.status = make("p", "upload-status");
    this.status.setAttribute("role", "status");
    form.appendChild(this.status);

    var self = this;
    this.input.addEventListener("change", function () {
      self.choose(Array.prototype.slice.call(self.input.files));
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.send();
    });
    this.zone.addEventListener("dragenter", function (event) { self.dragOver(event); });
    this.zone.addEventListener("dragover", function (event) { self.dragOver(event); });
    this.zone.addEventListener("dragleave", function (event) {
      if (!self.zone.contains(event.relatedTarget)) self.zone.classList.remove("dragging");
    });
    this.zone.addEventListener("drop", function (event) { self.drop(event); });
  }

  Uploader.prototype.material = function () {
    var field = this.form.querySelector("[name=material]");
    return field ? field.value : "";
  };

  Uploader.prototype.materialLabel = function () {
    var field = this.form.querySelector("select[name=material]");
    if (field && field.selectedOptions.length) return field.selectedOptions[0].textContent;
    return this.form.getAttribute("data-label") || say("thisItem");
  };

  Uploader.prototype.dragOver = function (event) {
    if (this.busy || !event.dataTransfer) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    this.zone.classList.add("dragging");
  };

  Uploader.prototype.drop = function (event) {
    event.preventDefault();
    this.zone.classList.remove("dragging");
    if (this.busy || !event.dataTransfer) return;
    var files = Array.prototype.slice.call(event.dataTransfer.files || []);
    if (!files.length) return;
    try {
      this.input.files = event.dataTransfer.files;  // the input shows what will be sent
    } catch (e) { /* older browsers: the list below still shows it */ }
    this.choose(files);
  };

  // A thumbnail's blob URL lives as long as its row: an <img> moved to another document
  // loads its picture again (swapDocuments moves the live form into the page drawn anew),
  // so the URL is let go only when the row goes.
  function revokeThumbs(node) {
    node.querySelectorAll("img.thumb[src^='blob:']").forEach(function (img) {
      URL.revokeObjectURL(img.src);
    });
  }

  Uploader.prototype.clear = function () {
    revokeThumbs(this.list);  // the rows of the last choice, sent or not
    this.entries = [];
    this.list.textContent = "";
    this.list.hidden = true;
    this.status.textContent = "";
    this.showErrors([]);
  };

  Uploader.prototype.choose = function (files) {
    if (this.busy) return;
    this.clear();
    var self = this;
    files.forEach(function (file) {
      var entry = { file: file, message: refusal(file, self.policy), state: "ready", thumb: "" };
      if (!entry.message && self.policy.images.indexOf(extensionOf(file.name)) !== -1 &&
          /^image\//.test(file.type) && window.URL && URL.createObjectURL) {
        entry.thumb = URL.createObjectURL(file);
      }
      self.entries.push(entry);
      self.list.appendChild(self.row(entry));
      if (entry.message) self.mark(entry, "refused", say("notSent"));
    });
    this.list.hidden = !this.entries.length;
    var refused = this.entries.filter(function (e) { return e.message; });
    this.showErrors(refused.map(function (e) { return e.message; }));
    var ready = this.entries.length - refused.length;
    this.status.textContent = ready
      ? (ready === 1 ? say("readyOne") : say("readyMany", { count: number(ready) }))
      : "";
  };

  function kindBadge(file) {
    var kind = make("span", "thumb thumb-file", extensionOf(file.name).toUpperCase() || "?");
    kind.setAttribute("aria-hidden", "true");
    return kind;
  }

  Uploader.prototype.row = function (entry) {
    var li = make("li", "upload-file");
    if (entry.thumb) {
      var img = make("img", "thumb");
      img.alt = "";  // the file name is next to it
      img.addEventListener("error", function () {  // not really a picture: the server will say
        URL.revokeObjectURL(img.src);
        img.replaceWith(kindBadge(entry.file));
      });
      img.src = entry.thumb;
      li.appendChild(img);
    } else {
      li.appendChild(kindBadge(entry.file));
    }
    var name = make("span", "upload-name");
    name.appendChild(make("span", "filename", entry.file.name));
    name.appendChild(document.createTextNode(" "));
    name.appendChild(make("span", "size", "(" + formatSize(entry.file.size) + ")"));
    li.appendChild(name);
    entry.progress = make("progress", "upload-progress");
    entry.progress.max = 100;
    entry.progress.value = 0;
    entry.progress.setAttribute("aria-label", say("uploadOf", { name: entry.file.name }));
    li.appendChild(entry.progress);
    entry.stateText = make("span", "upload-state", say("readyToSend"));
    li.appendChild(entry.stateText);
    entry.row = li;
    return li;
  };

  Uploader.prototype.mark = function (entry, state, text) {
    entry.state = state;
    entry.row.className = "upload-file is-" + state;
    entry.stateText.textContent = text;
    entry.progress.hidden = state === "refused" || state === "skipped";
    if (state === "done") entry.progress.value = 100;
  };

  // The messages next to the file input, tied to it for screen readers.
  Uploader.prototype.showErrors = function (messages) {
    var box = document.getElementById(this.errorId);
    var described = tokens(this.input.getAttribute("aria-describedby")).filter(
      function (id) { return id !== this.errorId; }, this);
    if (messages.length) {
      if (!box) {
        box = make("div", "field-error");
        box.id = this.errorId;
        box.setAttribute("role", "alert");
        var label = this.form.querySelector("label[for='" + this.input.id + "']");
        (label || this.input).insertAdjacentElement("afterend", box);
      }
      box.textContent = "";
      messages.forEach(function (message, i) {  // a ticket-wide refusal comes once per file
        if (messages.indexOf(message) === i) box.appendChild(make("p", "", message));
      });
      described.push(this.errorId);
      this.input.setAttribute("aria-invalid", "true");
      this.form.classList.add("has-error");
    } else {
      if (box) box.parentNode.removeChild(box);
      this.input.removeAttribute("aria-invalid");
      this.form.classList.remove("has-error");
    }
    if (described.length) this.input.setAttribute("aria-describedby", described.join(" "));
    else this.input.removeAttribute("aria-describedby");
  };

  Uploader.prototype.send = function () {
    if (this.busy) return;
    if (!this.entries.length && this.input.files.length) {
      this.choose(Array.prototype.slice.call(this.input.files));
    }
    var ready = this.entries.filter(function (e) { return e.state === "ready"; });
    if (!ready.length) {
      if (!this.entries.length) this.showErrors([say("chooseFirst")]);
      this.input.focus();
      return;
    }
    this.busy = true;
    this.form.setAttribute("aria-busy", "true");
    // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
    if (this.button) this.button.setAttribute("aria-disabled", "true");
    this.input.disabled = true;
    this.status.textContent = ready.length === 1
      ? say("sendingOne")
      : say("sendingMany", { count: number(ready.length) });
    this.next(ready, 0, { stored: 0, stopped: false });
  };

  Uploader.prototype.next = function (queue, index, result) {
    var self = this;
    if (index >= queue.length) {
      this.finish(result);
      return;
    }
    var entry = queue[index];
    if (result.stopped) {
      this.mark(entry, "skipped", say("notSent"));
      this.next(queue, index + 1, result);
      return;
    }
    this.mark(entry, "sending", say("sendingPercent", { percent: percent(0) }));
    var body = new FormData();
    body.append("csrf_token", this.form.querySelector("[name=csrf_token]").value);
    body.append("material", this.material());
    body.append("files", entry.file, entry.file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", this.form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var value = Math.min(99, Math.floor(event.loaded / event.total * 100));
      entry.progress.value = value;
      entry.stateText.textContent = say("sendingPercent", { percent: percent(value) });
    });
    xhr.addEventListener("load", function () {
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      if (xhr.status === 201) {
        result.stored += 1;
        self.mark(entry, "done", say("uploaded"));
      } else {
        var error = answer && answer.error;
        entry.message = (error && error.message) ||
          say("refusedStatus", { name: entry.file.name, status: xhr.status });
        self.mark(entry, "refused", say("notAccepted"));
        if (answer && answer.evidence && answer.evidence.length) result.stored += 1;
        var perFile = PER_FILE_STATUS.indexOf(xhr.status) !== -1 ||
          (error && PER_FILE_CODES.indexOf(error.code) !== -1);
        if (!perFile) result.stopped = true;
      }
      self.next(queue, index + 1, result);
    });
    xhr.addEventListener("error", function () {
      entry.message = say("interrupted", { name: entry.file.name });
      self.mark(entry, "refused", say("notSent"));
      result.stopped = true;
      self.next(queue, index + 1, result);
    });
    xhr.send(body);
  };

  Uploader.prototype.finish = function (result) {
    var self = this;
    this.busy = false;
    this.form.removeAttribute("aria-busy");
    if (this.button) this.button.removeAttribute("aria-disabled");
    this.input.disabled = false;
    this.input.value = "";  // what was sent is listed below and, once stored, on the item
    var failed = this.entries.filter(function (e) { return e.message; });
    this.showErrors(failed.map(function (e) { return e.message; }));
    var words = [];
    if (result.stored) {
      words.push(result.stored === 1
        ? say("addedOne", { item: this.materialLabel() })
        : say("addedMany", { count: number(result.stored), item: this.materialLabel() }));
    }
    if (failed.length) {
      words.push(failed.length === 1
        ? say("failedOne")
        : say("failedMany", { count: number(failed.length) }));
    }
    this.status.textContent = words.join(" ");
    this.entries = [];  // the rows stay as a record until the next choice
    if (failed.length) this.input.focus();
    if (result.stored) {
      refreshPage(this.form.action.replace(/\/evidence$/, ""), this.form).then(function () {
        self.dropSent();
        watchAnalysis();
      }, function () {
        self.status.textContent += " " + say("reload");
      });
    }
  };

  // Stored files now show in the item's own list: keep only the rows of refused files.
  Uploader.prototype.dropSent = function () {
    var sent = this.list.querySelectorAll(".upload-file.is-done");
    for (var i = 0; i < sent.length; i++) {
      revokeThumbs(sent[i]);
      this.list.removeChild(sent[i]);
    }
    this.list.hidden = !this.list.children.length;
  };

  // --- the rest of the page follows what was stored ------------------------------------------

  function swap(fresh, id) {
    var now = document.getElementById(id);
    var next = fresh.getElementById(id);
    if (now && next) now.replaceWith(next);
  }

  // The documents part as the server now draws it (a choice may be met, its other options
  // folded away), with the live upload forms kept: their chosen files, messages and focus.
  function swapDocuments(fresh, active) {
    var now = document.getElementById("documents");
    var next = fresh.getElementById("documents");
    if (!now || !next) return;
    now.querySelectorAll("form.upload-form[data-enhanced]").forEach(function (live) {
      var input = live.querySelector("input[type=file]");
      var plain = input && next.querySelector("#" + CSS.escape(input.id));
      plain = plain && plain.closest("form.upload-form");
      if (!plain) {  // its item is gone from the page, and its rows with it
        revokeThumbs(live);
        return;
      }
      var oldLabel = live.querySelector("label[for='" + input.id + "']");
      var newLabel = plain.querySelector("label[for='" + input.id + "']");
      if (oldLabel && newLabel) oldLabel.innerHTML = newLabel.innerHTML;
      plain.replaceWith(live);
      // The option the customer is working in stays open, with every choice around it; so
      // does one whose files were refused, even if the choice no longer needs it (folded
      // away, the customer would not see why those files were not taken).
      var keep = live === active || live.querySelector(".upload-file.is-refused, .field-error");
      for (var box = keep && live.closest("details"); box;
           box = box.parentElement && box.parentElement.closest("details")) {
        box.open = true;
      }
    });
    // Options and the folded list the customer opened stay open.
    now.querySelectorAll("details[open][id], details.more-docs[open]").forEach(function (d) {
      var twin = d.id && next.querySelector("#" + CSS.escape(d.id));
      if (twin) twin.open = true;
    });
    now.replaceWith(next);
    next.querySelectorAll("form.upload-form").forEach(enhance);
  }

  function swapSubmit(fresh) {
    var now = document.getElementById("submit");
    var next = fresh.getElementById("submit");
    if (!now || !next) return;
    var typed = now.querySelector("textarea");
    var field = typed && next.querySelector("textarea[name='" + typed.name + "']");
    if (field && typed.value) field.value = typed.value;
    now.replaceWith(next);
  }

  function refreshPage(url, active) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var focused = document.activeElement;
        ["ticket-status", "next"].forEach(function (id) { swap(fresh, id); });
        swapDocuments(fresh, active);
        swapSubmit(fresh);
        // Moving the live form to its new item took the focus away from it: give it back.
        if (focused && focused !== document.body && document.contains(focused) &&
            document.activeElement !== focused) {
          focused.focus({ preventScroll: true });
        }
      });
  }

  // --- findings of the files being checked (api.md "Evidence analysis") --------------------
  // A file's row says data-analysis="pending" until a worker has checked it: the rows are
  // fetched again every 2 s, for up to 30 s, and swapped in with their advice. Without
  // JavaScript a reload shows the same.
  var POLL_MS = 2000;
  var POLL_FOR_MS = 30000;
  var polling = null;

  function pendingFiles() {
    return document.querySelectorAll("li.file[data-analysis='pending']");
  }

  function watchAnalysis() {
    if (polling || !window.fetch || !pendingFiles().length) return;
    var url = window.location.pathname.replace(/\/evidence$/, "");
    var until = Date.now() + POLL_FOR_MS;
    function stop() {
      window.clearInterval(polling);
      polling = null;
    }
    polling = window.setInterval(function () {
      if (!pendingFiles().length || Date.now() > until) {
        stop();
        return;
      }
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          pendingFiles().forEach(function (row) {
            var next = fresh.getElementById(row.id);
            if (next && next.getAttribute("data-analysis") !== "pending") row.replaceWith(next);
          });
        })
        .catch(stop);
    }, POLL_MS);
  }

  function enhance(form) {
    if (form.dataset.enhanced || !form.querySelector("input[type=file]")) return;
    form.dataset.enhanced = "1";
    new Uploader(form);
  }

  document.querySelectorAll("form.upload-form").forEach(enhance);
  watchAnalysis();  // a page opened while a file is still being checked
  // A file dropped beside a box would make the browser open it and leave the page.
  ["dragover", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.closest && event.target.closest(".droppable")) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "none";
    });
  });
})();
