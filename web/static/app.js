// Kwetsbaarheidsmonitor — progressive enhancement only: every page works without this file.
// Adds a tooltip to map regions (on hover and on keyboard focus) and links map and table rows.
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
