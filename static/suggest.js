// Search as you type: article titles under any search box with a data-suggest URL.
// The boxes work without this script; it only adds the list. Keyboard: up/down, Enter, Escape.
(function () {
  "use strict";
  function attach(input) {
    var list = document.createElement("ul");
    var timer = null, active = -1, lastAsked = "";
    list.className = "suggestions";
    list.id = input.id + "-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.parentNode.insertBefore(list, input.nextSibling);

    function close() {
      list.hidden = true; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function show(items) {
      list.textContent = "";
      items.forEach(function (item, i) {
        var li = document.createElement("li"), a = document.createElement("a");
        li.setAttribute("role", "option");
        li.id = list.id + "-" + i;
        a.href = item.url;
        a.textContent = item.title;  // text, never HTML
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      active = -1;
    }
    function ask() {
      var words = input.value.trim();
      if (words === lastAsked) { return; }
      lastAsked = words;
      if (words.length < 1) { close(); return; }
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(words), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) { if (input.value.trim() === words) { show(items); } })
        .catch(close);
    }
    function move(step) {
      var options = list.querySelectorAll("li");
      if (!options.length) { return; }
      if (active >= 0) { options[active].classList.remove("active"); }
      active = (active + step + options.length) % options.length;
      options[active].classList.add("active");
      input.setAttribute("aria-activedescendant", options[active].id);
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 120); });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) { return; }
      if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        window.location.href = list.querySelectorAll("li a")[active].href;
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 200); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), attach);
  });
}());
