/* clustermap cluster page: the "Share / embed" panel (templates/_embed_builder.html).
   Opened the first time, it puts its form in place (the layers the map shows checked, the
   page's basemap, language and date chosen); each change rewrites the <iframe> code and,
   a moment later, the preview's address. */
(function () {
  "use strict";
  var panel = document.getElementById("embed-builder");
  var form = document.getElementById("embed-builder-form");
  if (!panel || !form) { return; }
  var map = window.clustermapMap;
  var layerKeys = JSON.parse(panel.dataset.layerKeys || "{}");
  var built = false;
  var previewTimer = null;

  function escapeAttr(text) {
    return String(text).replace(/&/g, "&amp;").replace(/"/g, "&quot;")
      .replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function byId(id) { return document.getElementById(id); }

  /* the layer keys drawn on the page's map now (its layer control's choice) */
  function shownOnMap() {
    var shown = [];
    if (!map) { return null; }
    Object.keys(layerKeys).forEach(function (name) {
      var layer = window[name];
      if (layer && map.hasLayer(layer) && shown.indexOf(layerKeys[name]) < 0) {
        shown.push(layerKeys[name]);
      }
    });
    return shown;
  }

  function height() {
    var box = byId("embed-height");
    var low = Number(box.min), high = Number(box.max), value = Math.round(Number(box.value));
    if (!isFinite(value) || box.value === "") { value = Number(box.defaultValue); }
    return Math.min(high, Math.max(low, value));
  }

  function layers() {
    var boxes = panel.querySelectorAll("input[name=layer]");
    return Array.prototype.filter.call(boxes, function (b) { return b.checked; })
      .map(function (b) { return b.value; });
  }

  function embedSrc() {
    var params = new URLSearchParams();
    params.set("layers", layers().join(","));
    params.set("basemap", byId("embed-basemap").value);
    params.set("lang", byId("embed-lang").value);
    if (byId("embed-as-of").value) { params.set("as_of", byId("embed-as-of").value); }
    if (byId("embed-view").checked && map) {
      var centre = map.getCenter();
      params.set("lat", centre.lat.toFixed(5));
      params.set("lon", centre.lng.toFixed(5));
      params.set("zoom", String(map.getZoom()));
    }
    // the page holds a relative link (cached pages name no host); the code needs it whole
    var url = new URL(panel.dataset.embedUrl, document.baseURI).href;
    return url + "?" + params.toString().replace(/%2C/g, ",");
  }

  function update() {
    var none = layers().length === 0;
    byId("embed-problem").hidden = !none;
    byId("embed-copy").disabled = none;
    byId("embed-copied").textContent = "";
    if (none) { return; }  // an embed draws at least one layer (layers= is refused)
    var src = embedSrc();
    var title = panel.dataset["title" + byId("embed-lang").value.replace(/^./, function (c) {
      return c.toUpperCase();
    })];
    var h = height();
    byId("embed-snippet").value = '<iframe src="' + escapeAttr(src) + '" title="' +
      escapeAttr(title) + '" width="100%" height="' + h + '" loading="lazy" ' +
      'style="border:0" referrerpolicy="strict-origin-when-cross-origin"></iframe>';
    var preview = byId("embed-preview");
    preview.style.height = h + "px";
    preview.title = title;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      if (preview.getAttribute("src") !== src) { preview.setAttribute("src", src); }
    }, 300);
  }

  function copy() {
    var box = byId("embed-snippet");
    var status = byId("embed-copied");
    box.focus();
    box.select();
    function done() { status.textContent = panel.dataset.copied; }
    function failed() { status.textContent = panel.dataset.copyFailed; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(done, failed);
    } else {
      try { (document.execCommand("copy") ? done : failed)(); } catch (e) { failed(); }
    }
  }

  function build() {
    built = true;
    panel.appendChild(form.content.cloneNode(true));
    var shown = shownOnMap();
    if (shown && shown.length) {
      panel.querySelectorAll("input[name=layer]").forEach(function (b) {
        b.checked = shown.indexOf(b.value) >= 0;
      });
    }
    byId("embed-form").addEventListener("input", update);
    byId("embed-form").addEventListener("change", update);
    byId("embed-form").addEventListener("submit", function (e) { e.preventDefault(); });
    byId("embed-copy").addEventListener("click", copy);
    if (map) {
      map.on("moveend", function () { if (byId("embed-view").checked) { update(); } });
    }
    update();
  }

  panel.addEventListener("toggle", function () {
    if (panel.open && !built) { build(); }
  });
  if (panel.open && !built) { build(); }
})();
