/* clustermap cluster page: the copyable <iframe> snippet follows the map's view, layers and date. */
(function () {
  "use strict";
  var config = document.getElementById("cm-embed-config");
  var box = document.getElementById("embed-snippet");
  var map = window.clustermapMap;
  if (!config || !box || !map) { return; }
  var keys = JSON.parse(config.dataset.layerKeys || "{}");
  var basemap = config.dataset.basemap || "osm";

  function escapeAttr(text) {
    return String(text).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  }

  function visibleLayers() {
    var shown = [];
    Object.keys(keys).forEach(function (name) {
      var layer = window[name];
      if (layer && map.hasLayer(layer) && shown.indexOf(keys[name]) < 0) { shown.push(keys[name]); }
    });
    return shown;
  }

  function update() {
    var centre = map.getCenter();
    var params = new URLSearchParams();
    var layers = visibleLayers();
    if (layers.length) { params.set("layers", layers.join(",")); }
    params.set("basemap", basemap);
    params.set("lat", centre.lat.toFixed(5));
    params.set("lon", centre.lng.toFixed(5));
    params.set("zoom", String(map.getZoom()));
    if (config.dataset.asOf) { params.set("as_of", config.dataset.asOf); }
    // the page holds a relative link (cached pages name no host); the snippet needs it whole
    var src = new URL(config.dataset.embedUrl, document.baseURI).href + "?" + params.toString();
    box.value = '<iframe src="' + escapeAttr(src) + '" title="' + escapeAttr(config.dataset.title) +
      '" width="800" height="500" loading="lazy" referrerpolicy="strict-origin-when-cross-origin"></iframe>';
  }

  map.on("moveend zoomend overlayadd overlayremove", update);
  var chosen = basemap;
  map.on("baselayerchange", function (event) {
    var names = { "OpenStreetMap": "osm", "CartoDB Positron": "positron", "No basemap": "none",
                  "Offline (no tiles)": "offline" };
    chosen = basemap;
    basemap = names[event.name] || basemap;
    update();
  });
  // tiles that failed here (static/offline.js switched to the offline basemap) may load
  // where the map is embedded: the snippet keeps the basemap that was chosen
  map.on("clustermap:offline", function () { basemap = chosen; update(); });
  document.getElementById("embed-copy").addEventListener("click", function () {
    box.select();
    if (navigator.clipboard) { navigator.clipboard.writeText(box.value); }
  });
  update();
})();
