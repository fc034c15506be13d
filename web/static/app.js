// Kwetsbaarheidsmonitor — progressive enhancement only: every page works without this file.

// The phone menu: on narrow screens the main navigation folds behind a button (app.css); the
// button says whether it is open (aria-expanded), Escape closes it and returns focus to it.
// Without this script the button stays hidden and the navigation is always open.
(function () {
  "use strict";
  var button = document.querySelector(".menu-toggle");
  var list = document.getElementById("main-nav-list");
  if (!button || !list) return;
  document.documentElement.classList.add("js-menu");
  button.hidden = false;
  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    list.classList.toggle("open", open);
  }
  button.addEventListener("click", function () {
    set(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      set(false);
      button.focus();
    }
  });
})();

// Adds a tooltip to map regions (on hover and on keyboard focus) and links map and table rows,
// and suggestions (a native datalist) to the search boxes.
(function () {
  "use strict";
  var figure = document.querySelector(".map-figure");
  if (!figure) return;
  var tooltip = document.createElement("div");
  tooltip.id = "map-tooltip";
  tooltip.hidden = true;
  tooltip.setAttribute("aria-hidden", "true"); // the link's own label is what assistive tech reads
  figure.appendChild(tooltip);

  // Region links are /regio/CODE?… or /regio/CODE/themas?…: the code follows /regio/.
  function rowFor(region) {
    var match = /\/regio\/([^/?]+)/.exec(region.getAttribute("href") || "");
    return match ? document.querySelector('tr[data-code="' + match[1] + '"]') : null;
  }

  function show(region, x, y) {
    var name = document.createElement("strong");
    name.textContent = region.getAttribute("data-name");
    tooltip.replaceChildren(name, document.createTextNode(region.getAttribute("data-value")));
    var box = figure.getBoundingClientRect();
    tooltip.style.left = (x - box.left) + "px";
    tooltip.style.top = (y - box.top) + "px";
    tooltip.hidden = false;
    var row = rowFor(region);
    if (row) row.classList.add("hover");
  }

  function hide(region) {
    tooltip.hidden = true;
    var row = rowFor(region);
    if (row) row.classList.remove("hover");
  }

  figure.querySelectorAll("a.region").forEach(function (region) {
    region.addEventListener("mousemove", function (e) { show(region, e.clientX, e.clientY); });
    region.addEventListener("mouseleave", function () { hide(region); });
    region.addEventListener("focus", function () {
      var b = region.getBoundingClientRect();
      show(region, b.left + b.width / 2, b.top);
    });
    region.addEventListener("blur", function () { hide(region); });
  });

  // Hovering a table row highlights its region on the map.
  document.querySelectorAll("tr[data-code]").forEach(function (row) {
    var code = row.getAttribute("data-code");
    var region = figure.querySelector('a.region[href^="/regio/' + code + '?"], a.region[href^="/regio/' + code + '/"]');
    if (!region) return;
    row.addEventListener("mouseenter", function () { region.classList.add("hover"); });
    row.addEventListener("mouseleave", function () { region.classList.remove("hover"); });
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") tooltip.hidden = true;
  });
})();

// Search suggestions: a native <datalist> fed by /api/search, so the browser's own, accessible
// list shows them and the form still submits to /zoeken as without JavaScript.
(function () {
  "use strict";
  var MIN = 2, MAX = 100, DELAY = 150;
  // The API's level ids are the Dutch words; English pages name them in English.
  var LEVELS = document.documentElement.lang === "en"
    ? { provincie: "province", ggd: "GGD region", gemeente: "municipality", wijk: "district", buurt: "neighbourhood" }
    : { ggd: "GGD-regio" };
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.createElement("datalist");
    list.id = input.id + "-suggestions";
    input.after(list);
    input.setAttribute("list", list.id);
    var timer = null, controller = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      // Only what the API accepts: a 400 would show up as a console error.
      if (text.length < MIN || text.length > MAX || !/[\p{L}\p{N}]/u.test(text)) {
        list.replaceChildren();
        return;
      }
      timer = setTimeout(function () {
        if (controller) controller.abort();
        controller = new AbortController();
        fetch("/api/search?limit=8&q=" + encodeURIComponent(text), { signal: controller.signal })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (hits) {
            list.replaceChildren.apply(list, hits.map(function (h) {
              var option = document.createElement("option");
              option.value = h.name || h.code;
              var where = h.gemeente_name && h.gemeente_code !== h.code ? " · " + h.gemeente_name : "";
              option.label = (LEVELS[h.level] || h.level) + where + " · " + h.code;
              return option;
            }));
          })
          .catch(function () { /* aborted or offline: the form still works */ });
      }, DELAY);
    });
  });
})();

// Folded sections (<details>) on long pages: a link or an address that points at a folded
// section, or at something inside one, opens it — the table of contents on the agenda and the
// profile relies on this. Printing opens every section and closes again what was closed.
// Without this script a section opens with its summary (keyboard: Enter or Space).
(function () {
  "use strict";
  function open(id, scroll) {
    var target = id && document.getElementById(id);
    if (!target) return;
    var opened = false;
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS" && !el.open) { el.open = true; opened = true; }
    }
    // The browser scrolled before the section opened; scroll again to the target itself.
    if (opened || scroll) target.scrollIntoView();
  }
  function fromHash(scroll) {
    try { open(decodeURIComponent(location.hash.slice(1)), scroll); } catch (e) { /* malformed */ }
  }
  fromHash(false);
  window.addEventListener("hashchange", function () { fromHash(false); });
  // A link to the address already shown fires no hashchange, e.g. after closing the section.
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest('a[href^="#"]');
    if (a && a.getAttribute("href") === location.hash) open(location.hash.slice(1), true);
  });
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.slice.call(document.querySelectorAll("details:not([open])"));
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
    closed = [];
  });
})();
