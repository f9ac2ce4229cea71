/* clustermap offline basemap: a map's own line work where tiles cannot load.
 *
 * clustermapOffline.attach(map, offline, tiles, config) is called by the map's script
 * (webmap/maps/offline.py). `offline` is the "Offline (no tiles)" base layer: when it is on the
 * map it draws config.streets (the cluster's streets: a URL of our server to fetch them
 * from, or the GeoJSON geometry itself in an export) or, when
 * config.outlines, the Natural Earth country outlines: fetched from our own server, or
 * config.outlines itself in an export that carries them. `tiles`
 * are the tile base layers: when the one shown fails (tile errors and no tile loaded
 * within a short while, or the browser says it is offline), the map switches to `offline`
 * through the map itself, so the layer control shows the change, and says so in a note.
 */
(function () {
  "use strict";
  // the outlines are served beside our static files: <prefix>/static/offline.js ->
  // <prefix>/basemap/countries.geojson (an inlined export has no server, so no outlines)
  var script = document.currentScript;
  var OUTLINES_URL = script && script.src ? new URL("../basemap/countries.geojson", script.src).href : null;
  var GRACE_MS = 1500;     // after a tile error, how long a tile may take to load before we give up
  var WATCHDOG_MS = 8000;  // tiles asked for but none loaded or failed: stalled network
  var STREET_STYLE = { color: "#8d8d8d", weight: 1, opacity: 0.7 };
  var OUTLINE_STYLE = { color: "#9a9a9a", weight: 1, opacity: 0.9, fillColor: "#f4f2ec", fillOpacity: 1 };

  function draw(map, offline, config) {
    if (offline._cmDrawn) { return; }
    offline._cmDrawn = true;
    var options = { pane: config.pane, interactive: false };
    if (typeof config.streets === "string") {  // the server's (fetched when the map loads)
      options.style = STREET_STYLE;
      fetchAndDraw(config.streets, offline, options);
    } else if (config.streets) {  // an export's own
      options.style = STREET_STYLE;
      L.geoJSON(config.streets, options).addTo(offline);
    } else if (config.outlines && typeof config.outlines === "object") {  // an export's own
      options.style = OUTLINE_STYLE;
      L.geoJSON(config.outlines, options).addTo(offline);
    } else if (config.outlines && OUTLINES_URL) {
      options.style = OUTLINE_STYLE;
      fetchAndDraw(OUTLINES_URL, offline, options);
    }
  }

  // line work asked of our server, by URL: fetched once, when the map loads, so that a map
  // whose browser goes offline later still has it (a failed fetch is tried again)
  var fetched = {};

  function load(url) {
    if (!fetched[url]) {
      fetched[url] = fetch(url).then(function (response) {
        if (!response.ok) { throw new Error(url + ": HTTP " + response.status); }
        return response.json();
      });
      fetched[url].catch(function () { delete fetched[url]; });
    }
    return fetched[url];
  }

  function fetchAndDraw(url, offline, options) {
    load(url).then(function (data) {
      L.geoJSON(data, options).addTo(offline);
    }).catch(function () {
      offline._cmDrawn = false;  // try again the next time the layer is shown
    });
  }

  function note() {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "cm-offline-note leaflet-control");
      div.textContent = "Tiles unavailable \u2014 offline basemap";
      return div;
    };
    return control;
  }

  function attach(map, offline, tiles, config) {
    var pane = map.getPane(config.pane) || map.createPane(config.pane);
    pane.style.zIndex = 250;
    pane.style.pointerEvents = "none";
    var fallenBack = false;
    var noteControl = note();
    var ground = config.streets ? "cm-offline-streets" : "cm-offline-outlines";
    var url = typeof config.streets === "string" ? config.streets
      : (config.outlines === true ? OUTLINES_URL : null);
    if (url) { load(url).catch(function () {}); }

    function switchToOffline() {
      if (map.hasLayer(offline)) { return; }
      fallenBack = true;
      tiles.forEach(function (layer) { if (map.hasLayer(layer)) { map.removeLayer(layer); } });
      map.addLayer(offline);  // the layer control follows the map's layeradd/layerremove
      noteControl.addTo(map);
      map.fire("clustermap:offline");
    }

    function shown() {
      draw(map, offline, config);
      map.getContainer().classList.add("cm-offline", ground);
      if (map.attributionControl) { map.attributionControl.addAttribution(config.attribution); }
    }
    offline.on("add", shown);
    offline.on("remove", function () {
      map.getContainer().classList.remove("cm-offline", ground);
      if (map.attributionControl) { map.attributionControl.removeAttribution(config.attribution); }
      if (fallenBack) { noteControl.remove(); fallenBack = false; }
    });
    if (map.hasLayer(offline)) { shown(); }

    tiles.forEach(function (layer) {
      var loaded = 0, failed = 0, timer = null, watchdog = null;
      function failing() { return map.hasLayer(layer) && loaded === 0; }
      function arm() {  // tiles asked for: some must load before the watchdog fires
        if (!watchdog) {
          watchdog = setTimeout(function () { if (failing()) { switchToOffline(); } }, WATCHDOG_MS);
        }
      }
      layer.on("tileloadstart", arm);
      layer.on("tileload", function () { loaded += 1; });
      layer.on("tileerror", function () {
        failed += 1;
        if (!timer) {
          timer = setTimeout(function () { timer = null; if (failing() && failed > 0) { switchToOffline(); } }, GRACE_MS);
        }
      });
      layer.on("remove", function () {
        loaded = 0; failed = 0;
        clearTimeout(timer); clearTimeout(watchdog); timer = null; watchdog = null;
      });
      if (map.hasLayer(layer)) { arm(); }  // its first tiles were asked for before we listened
    });

    if (navigator.onLine === false) { switchToOffline(); }
    window.addEventListener("offline", switchToOffline);
  }

  window.clustermapOffline = { attach: attach };
})();
