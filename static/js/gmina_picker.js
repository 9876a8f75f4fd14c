/* The gmina picker (kos_portal/gmina_picker.py): the ARIA 1.2 combobox pattern.
   Typing asks /gminas/suggest/?q= for at most 20 gminas and lists them; Down and Up
   move through the list, Enter picks, Escape closes. The chosen gmina's key (pk or
   TERYT code) goes to a hidden input that takes over the text input's name; until one
   is chosen the hidden input carries the typed text, which the server resolves (a code
   or a unique name) as it does without JavaScript. */
(function () {
  "use strict";

  function setup(root) {
    if (root.dataset.gminaReady) return;
    root.dataset.gminaReady = "1";
    var input = root.querySelector("input");
    var list = root.querySelector("[role=listbox]");
    var status = root.querySelector("[data-gmina-status]");
    var key = root.dataset.key || "pk";
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = input.name;
    hidden.value = input.dataset.gminaKey || input.value;
    input.removeAttribute("name");
    root.appendChild(hidden);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (!options.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function highlight(index) {
      var items = list.children;
      for (var i = 0; i < items.length; i++) {
        var on = i === index;
        items[i].setAttribute("aria-selected", on ? "true" : "false");
        items[i].classList.toggle("is-active", on);
      }
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      }
    }

    function choose(index) {
      var option = options[index];
      input.value = option.label;
      hidden.value = option[key];
      close();
      status.textContent = root.dataset.pickedText + " " + option.label;
    }

    function show(results) {
      list.textContent = "";
      options = results;
      results.forEach(function (option, i) {
        var item = document.createElement("li");
        item.id = list.id + "_" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.className = "gmina-combo__option";
        item.textContent = option.label;
        // mousedown, not click: the input must not lose focus (and close the list) first.
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(item);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (results.length) {
        open();
        status.textContent = root.dataset.foundText;
      } else {
        close();
        status.textContent = input.value.trim() ? root.dataset.noneText : "";
      }
    }

    function ask() {
      var typed = input.value.trim();
      var mine = ++asked;
      if (!typed) {
        show([]);
        return;
      }
      fetch(root.dataset.url + "?q=" + encodeURIComponent(typed), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (mine === asked) show(data.results || []);
        })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      hidden.value = input.value;
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (event) {
      var count = options.length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!count) return;
        event.preventDefault();
        open();
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight(active < 0 && step < 0 ? count - 1 : (active + step + count) % count);
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", close);
  }

  function setupAll(container) {
    container.querySelectorAll("[data-gmina-picker]").forEach(setup);
  }

  setupAll(document);
  // Forms that htmx swaps in (e.g. a redrawn form with errors) get their picker too.
  document.addEventListener("htmx:load", function (event) {
    setupAll(event.detail.elt);
  });
})();
