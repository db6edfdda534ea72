// Live checklist on the facts form: asks the requirements API as the customer answers.
// Without JavaScript the "Show what I need" button does the same through the server.
(function () {
  "use strict";
  var form = document.querySelector(".facts-form");
  if (!form) return;
  var preview = document.getElementById("checklist-preview");
  var button = form.querySelector(".preview-button");
  if (button) button.hidden = true;

  function value(name) {
    var checked = form.querySelector("[name=" + name + "]:checked");
    return checked ? checked.value : "";
  }

  function label(material, materials) {
    var m = materials[material.material];
    return (m ? m.label : material.material) + (material.optional ? " (optional)" : "");
  }

  function render(node, materials) {
    var ul = document.createElement("ul");
    ul.className = "req-list";
    (node.all_of || [node]).forEach(function (child) { ul.appendChild(item(child, materials)); });
    return ul;
  }

  function item(node, materials) {
    var li = document.createElement("li");
    if (node.material) {
      li.className = "req-item";
      li.textContent = label(node, materials);
      return li;
    }
    li.className = "req-group";
    var span = document.createElement("span");
    span.className = "group-label";
    var members = node.any_of || node.all_of;
    span.textContent = node.any_of
      ? (node.min === 1 ? "Any one of these:" : "Any " + node.min + " of these " + members.length + ":")
      : "All of:";
    li.appendChild(span);
    var ul = document.createElement("ul");
    ul.className = "req-list";
    members.forEach(function (child) { ul.appendChild(item(child, materials)); });
    li.appendChild(ul);
    return li;
  }

  function toggle() {
    var enterprise = value("account_type") === "enterprise";
    form.querySelectorAll(".if-enterprise").forEach(function (el) { el.hidden = !enterprise; });
    var noCard = value("card_added") === "false";
    form.querySelectorAll(".if-no-card").forEach(function (el) { el.hidden = !noCard; });
  }

  function update() {
    toggle();
    var params = new URLSearchParams({ type: form.dataset.ticketType });
    ["customer_type", "real_name_auth", "account_type", "card_added", "payments_made",
     "enterprise_in_china"].forEach(function (name) {
      var v = value(name);
      if (v) params.set(name, v);
    });
    fetch(form.dataset.requirementsUrl + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
      .then(function (result) {
        var ok = result[0], body = result[1];
        var heading = preview.querySelector("h2");
        preview.innerHTML = "";
        preview.appendChild(heading);
        var p = document.createElement("p");
        if (!ok) {
          p.className = "hint placeholder";
          p.textContent = "Answer the questions above to see the list.";
          preview.appendChild(p);
        } else if (body.outcome === "manual_review") {
          p.className = "notice";
          p.textContent = body.message;
          preview.appendChild(p);
        } else {
          var materials = {};
          body.materials.forEach(function (m) { materials[m.key] = m; });
          preview.appendChild(render(body.requirement, materials));
        }
      })
      .catch(function () { if (button) button.hidden = false; });
  }

  form.addEventListener("change", update);
  update();
})();
