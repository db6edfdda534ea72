// Upload forms, enhanced in place: a list of the chosen files with a thumbnail for images,
// the server's type and size rules checked before anything is sent, drag and drop, and one
// request per file with its own progress bar. The server still checks every file and has
// the last word. Without JavaScript the forms post as plain multipart forms.
(function () {
  "use strict";
  if (!window.FormData || !window.XMLHttpRequest || !window.DOMParser) return;

  // The same rules as triage/evidence/checks.py (MAX_FILE_BYTES, ALLOWED_EXTENSIONS).
  var MAX_BYTES = 5242880;
  var ALLOWED = ["doc", "docx", "jpg", "jpeg", "png", "pdf", "odt"];
  var ALLOWED_LIST = ".doc, .docx, .jpg, .jpeg, .png, .pdf or .odt";
  var IMAGES = ["jpg", "jpeg", "png"];
  // Refusals about one file; anything else (state, rate limit, server) stops the batch.
  var PER_FILE_STATUS = [400, 413, 415];
  var PER_FILE_CODES = ["password_protected", "damaged_file"];  // 422, like unknown_material
  // As triage/evidence/names.py: zero-width and bidi marks, the word joiner and the BOM are
  // removed, and only the last part of a path is kept, before the extension is read.
  var INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;

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
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(1).replace(/\.0$/, "") + " MB";
    if (bytes >= 1024) return Math.max(1, Math.round(bytes / 1024)) + " KB";
    return bytes + " bytes";
  }

  // The customer's words for why a file will not be sent, or "" when it may be sent.
  function refusal(file) {
    var name = "“" + (cleanName(file.name) || file.name) + "”";
    var extension = extensionOf(file.name);
    if (!extension) {
      return name + " has no file extension, so we cannot tell what kind of file it is. " +
        "Please upload a " + ALLOWED_LIST + " file.";
    }
    if (ALLOWED.indexOf(extension) === -1) {
      var what = extension.length <= 10 ? "a ." + extension + " file" : "a type of file";
      return name + " is " + what + ", which we cannot accept. Please upload a " +
        ALLOWED_LIST + " file.";
    }
    if (file.size === 0) {
      return name + " is empty (0 bytes). Please check the file and upload it again.";
    }
    if (file.size > MAX_BYTES) {
      var size = formatSize(file.size);
      if (size === "5 MB") size = file.size.toLocaleString("en") + " bytes";  // just over
      return name + " is " + size + ", larger than the 5 MB (5,242,880 bytes) limit for one " +
        "file. Please upload a smaller file, for example a scan at a lower resolution.";
    }
    return "";
  }

  function tokens(value) {
    return (value || "").split(/\s+/).filter(Boolean);
  }

  function Uploader(form) {
    this.form = form;
    this.input = form.querySelector("input[type=file]");
    this.button = form.querySelector("button[type=submit], button:not([type])");
    this.errorId = this.input.id + "-error";
    this.entries = [];
    this.busy = false;
    this.zone = this.input.closest(".dropzone") || this.input.closest(".field") || form;
    this.zone.classList.add("droppable");

    var hint = make("p", "hint drop-hint", "You can also drag files here.");
    this.input.insertAdjacentElement("beforebegin", hint);
    this.list = make("ul", "upload-queue");
    this.list.id = this.input.id + "-queue";
    this.list.setAttribute("aria-label", "Chosen files");
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
    // An item's label reads: Choose files for “Passport”.
    var label = this.form.querySelector("label[for='" + this.input.id + "']");
    var quoted = label && /“([^”]+)”/.exec(label.textContent);
    return quoted ? quoted[1] : "this item";
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

  Uploader.prototype.clear = function () {
    this.entries.forEach(function (entry) {
      if (entry.thumb) URL.revokeObjectURL(entry.thumb);
    });
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
      var entry = { file: file, message: refusal(file), state: "ready", thumb: "" };
      if (!entry.message && IMAGES.indexOf(extensionOf(file.name)) !== -1 &&
          /^image\//.test(file.type) && window.URL && URL.createObjectURL) {
        entry.thumb = URL.createObjectURL(file);
      }
      self.entries.push(entry);
      self.list.appendChild(self.row(entry));
      if (entry.message) self.mark(entry, "refused", "Not sent");
    });
    this.list.hidden = !this.entries.length;
    var refused = this.entries.filter(function (e) { return e.message; });
    this.showErrors(refused.map(function (e) { return e.message; }));
    var ready = this.entries.length - refused.length;
    this.status.textContent = ready
      ? ready + " file" + (ready === 1 ? "" : "s") + " ready. Press “Upload” to send " +
        (ready === 1 ? "it" : "them") + "."
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
      img.addEventListener("load", function () { URL.revokeObjectURL(img.src); });
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
    entry.progress.setAttribute("aria-label", "Upload of " + entry.file.name);
    li.appendChild(entry.progress);
    entry.stateText = make("span", "upload-state", "Ready to send");
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
      if (!this.entries.length) this.showErrors(["Choose a file to upload first."]);
      this.input.focus();
      return;
    }
    this.busy = true;
    this.form.setAttribute("aria-busy", "true");
    // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
    if (this.button) this.button.setAttribute("aria-disabled", "true");
    this.input.disabled = true;
    this.status.textContent = "Sending " + ready.length + " file" +
      (ready.length === 1 ? "" : "s") + "…";
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
      this.mark(entry, "skipped", "Not sent");
      this.next(queue, index + 1, result);
      return;
    }
    this.mark(entry, "sending", "Sending… 0%");
    var body = new FormData();
    body.append("csrf_token", this.form.querySelector("[name=csrf_token]").value);
    body.append("material", this.material());
    body.append("files", entry.file, entry.file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", this.form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.min(99, Math.floor(event.loaded / event.total * 100));
      entry.progress.value = percent;
      entry.stateText.textContent = "Sending… " + percent + "%";
    });
    xhr.addEventListener("load", function () {
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      if (xhr.status === 201) {
        result.stored += 1;
        self.mark(entry, "done", "Uploaded");
      } else {
        var error = answer && answer.error;
        entry.message = (error && error.message) ||
          "“" + entry.file.name + "” was not accepted (error " + xhr.status + "). Please try again.";
        self.mark(entry, "refused", "Not accepted");
        if (answer && answer.evidence && answer.evidence.length) result.stored += 1;
        var perFile = PER_FILE_STATUS.indexOf(xhr.status) !== -1 ||
          (error && PER_FILE_CODES.indexOf(error.code) !== -1);
        if (!perFile) result.stopped = true;
      }
      self.next(queue, index + 1, result);
    });
    xhr.addEventListener("error", function () {
      entry.message = "The upload of “" + entry.file.name + "” did not finish. Check your " +
        "connection and try again.";
      self.mark(entry, "refused", "Not sent");
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
      words.push(result.stored + " file" + (result.stored === 1 ? "" : "s") + " added to “" +
        this.materialLabel() + "”.");
    }
    if (failed.length) {
      words.push(failed.length + " file" + (failed.length === 1 ? " was" : "s were") +
        " not accepted: see the message above the file box.");
    }
    this.status.textContent = words.join(" ");
    this.entries = [];  // the rows stay as a record until the next choice
    if (failed.length) this.input.focus();
    if (result.stored) {
      refreshPage(this.form.action.replace(/\/evidence$/, "")).then(function () {
        self.dropSent();
      }, function () {
        self.status.textContent += " Reload the page to see the updated checklist.";
      });
    }
  };

  // Stored files now show in the item's own list: keep only the rows of refused files.
  Uploader.prototype.dropSent = function () {
    var sent = this.list.querySelectorAll(".upload-file.is-done");
    for (var i = 0; i < sent.length; i++) this.list.removeChild(sent[i]);
    this.list.hidden = !this.list.children.length;
  };

  // --- the rest of the page follows what was stored ------------------------------------------

  function swap(fresh, id) {
    var now = document.getElementById(id);
    var next = fresh.getElementById(id);
    if (now && next) now.replaceWith(next);
  }

  function swapItems(fresh) {
    var documents = document.getElementById("documents");
    if (!documents) return;
    fresh.querySelectorAll("#documents .doc-item").forEach(function (item) {
      var now = document.getElementById(item.id);
      if (now) {
        // Keep the live upload form (its chosen files, messages and focus); take the label.
        var live = now.querySelector("form.upload-form");
        var plain = item.querySelector("form.upload-form");
        if (live && plain) {
          var input = live.querySelector("input[type=file]");
          var oldLabel = live.querySelector("label[for='" + input.id + "']");
          var newLabel = plain.querySelector("label[for='" + input.id + "']");
          if (oldLabel && newLabel) oldLabel.textContent = newLabel.textContent;
          plain.replaceWith(live);
        }
        now.replaceWith(item);
        if (!live && plain) enhance(plain);
      } else {
        var more = document.getElementById("more-docs");
        documents.insertBefore(item, more && more.parentNode === documents ? more : null);
        item.querySelectorAll("form.upload-form").forEach(enhance);
      }
    });
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

  function refreshPage(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var focused = document.activeElement;
        ["ticket-status", "next", "checklist"].forEach(function (id) { swap(fresh, id); });
        swapItems(fresh);
        swapSubmit(fresh);
        // Moving the live form to its new item took the focus away from it: give it back.
        if (focused && focused !== document.body && document.contains(focused) &&
            document.activeElement !== focused) {
          focused.focus({ preventScroll: true });
        }
      });
  }

  function enhance(form) {
    if (form.dataset.enhanced || !form.querySelector("input[type=file]")) return;
    form.dataset.enhanced = "1";
    new Uploader(form);
  }

  document.querySelectorAll("form.upload-form").forEach(enhance);
  // A file dropped beside a box would make the browser open it and leave the page.
  ["dragover", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.closest && event.target.closest(".droppable")) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "none";
    });
  });
})();
