// Live checklist on the facts form: asks the requirements API as the customer answers.
// Without JavaScript the "Show what I need" button does the same through the server.
(function () {
  "use strict";
  var form = document.querySelector(".facts-form");
  if (!form) return;
  var preview = document.getElementById("checklist-preview");
  var button = form.querySelector(".preview-button");
  var buttonHint = form.querySelector(".preview-hint");
  var FACTS = ["customer_type", "real_name_auth", "account_type", "card_added", "payments_made",
               "enterprise_in_china"];
  var latest = 0;  // answers arrive out of order when the customer clicks quickly
  // The page's words and material names in its language (templates/tickets/new.html).
  var WORDS = { labels: {} };
  try {
    WORDS = JSON.parse(document.getElementById("requirements-words").textContent);
  } catch (e) { WORDS = { labels: {} }; }
  // The API's own "these answers are required when…" rules (its JSON Schema `allOf` of
  // if/then, in data-required-facts): asking before they hold only earns a 400.
  var RULES = [];
  try {
    RULES = JSON.parse(form.dataset.requiredFacts || "[]");
  } catch (e) { RULES = []; }

  function matches(condition, answers) {
    return (condition.required || []).every(function (name) { return answers[name]; })
      && Object.keys(condition.properties || {}).every(function (name) {
        var want = condition.properties[name];
        if ("const" in want) return answers[name] === want.const;
        return !want.enum || want.enum.indexOf(answers[name]) !== -1;
      });
  }

  function answeredEnough(answers) {
    return RULES.every(function (rule) {
      if (!rule.if || !rule.then || !matches(rule.if, answers)) return true;
      return (rule.then.required || []).every(function (name) { return answers[name]; });
    });
  }

  function say(key, values) {
    var text = WORDS[key] || key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  }

  function showButton(show) {
    [button, buttonHint].forEach(function (el) {
      if (!el) return;
      el.hidden = !show;
      el.style.display = show ? "" : "none";  // .button sets display, which beats [hidden]
    });
  }

  function value(name) {
    var checked = form.querySelector("[name=" + name + "]:checked");
    return checked ? checked.value : "";
  }

  function leaf(node, materials) {
    var li = document.createElement("li");
    li.className = "req-item";
    var m = materials[node.material];
    var label = WORDS.labels[node.material] || (m ? m.label : node.material);
    li.appendChild(document.createTextNode(label));
    if (node.optional) li.appendChild(note("optional", " " + say("optional")));
    if (m && m.kind === "information") li.appendChild(note("kind", " " + say("toTypeIn")));
    return li;
  }

  function note(className, text) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    return span;
  }

  function list(children, materials, className) {
    var ul = document.createElement("ul");
    ul.className = className;
    children.forEach(function (child) { ul.appendChild(item(child, materials)); });
    return ul;
  }

  function item(node, materials) {
    if (node.material) return leaf(node, materials);
    var li = document.createElement("li");
    li.className = "req-group";
    var members = node.any_of || node.all_of;
    li.appendChild(note("group-label", node.any_of
      ? say("choose", { min: node.min || 1, count: members.length })
      : say("allOf")));
    li.appendChild(list(members, materials, node.any_of ? "req-list any" : "req-list"));
    return li;
  }

  function render(node, materials) {
    if (node.all_of) return list(node.all_of, materials, "req-list");
    if (node.any_of) {  // a choice at the top: its words, then its options
      var span = note("group-label", say("choose", { min: node.min || 1, count: node.any_of.length }));
      var box = document.createElement("div");
      box.appendChild(span);
      box.appendChild(list(node.any_of, materials, "req-list any"));
      return box;
    }
    return list([node], materials, "req-list");
  }

  function paragraph(className, text) {
    var p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    return p;
  }

  function show(elements) {
    var heading = preview.querySelector("h2");
    preview.textContent = "";
    preview.appendChild(heading);
    elements.forEach(function (el) { preview.appendChild(el); });
  }

  function toggle() {
    var enterprise = value("account_type") === "enterprise";
    form.querySelectorAll(".if-enterprise").forEach(function (el) { el.hidden = !enterprise; });
    // Payments without a card matter only to direct customers without real-name authentication.
    var noCard = value("card_added") === "false" && value("real_name_auth") !== "completed"
      && value("customer_type") !== "partner" && value("customer_type") !== "reseller";
    form.querySelectorAll(".if-no-card").forEach(function (el) { el.hidden = !noCard; });
  }

  function update() {
    toggle();
    var answers = { type: form.dataset.ticketType };
    FACTS.forEach(function (name) {
      var v = value(name);
      if (v) answers[name] = v;
    });
    var ticket = ++latest;
    if (!answeredEnough(answers)) {
      show([paragraph("hint placeholder", say("answerFirst"))]);
      return;
    }
    var params = new URLSearchParams(answers);
    fetch(form.dataset.requirementsUrl + "?" + params.toString(), {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    })
      .then(function (response) {
        return response.json().then(function (body) { return [response.ok, body]; });
      })
      .then(function (result) {
        if (ticket !== latest) return;
        var ok = result[0], body = result[1];
        if (!ok) {
          show([paragraph("hint placeholder", say("answerFirst"))]);
        } else if (body.outcome === "manual_review") {
          show([paragraph("notice manual-review", WORDS.manualReview || body.message)]);
        } else {
          var materials = {};
          body.materials.forEach(function (m) { materials[m.key] = m; });
          var shown = [render(body.requirement, materials)];
          // The hint explains "to type in": only where the list has such an item.
          if (body.materials.some(function (m) { return m.kind === "information"; })) {
            shown.push(paragraph("hint", say("typedHint")));
          }
          show(shown);
        }
      })
      .catch(function () { showButton(true); });  // the server-side button still works
  }

  showButton(false);
  form.addEventListener("change", function (event) {
    if (FACTS.indexOf(event.target.name) !== -1) update();
  });
  update();
})();
