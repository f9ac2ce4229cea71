// The /points/NAME page: the point file's vector tiles (Leaflet.VectorGrid) over a basemap.
// Cells are drawn with a radius growing with their count; a click on a point shows its
// label and category as text (never HTML). window.clustermapTileFeatures is the number of
// features drawn so far, set each time the visible tiles have all loaded.
(function () {
  "use strict";
  var box = document.getElementById("cm-points-map");
  var map = L.map(box, { preferCanvas: false });
  if (box.dataset.basemap) {
    L.tileLayer(box.dataset.basemap, { attribution: box.dataset.credit, maxZoom: 19 }).addTo(map);
  }
  function radius(count) {  // cells are 4 px apart on a 256 px tile
    return count <= 1 ? 3 : Math.min(7, 1.5 + 1.2 * Math.log10(count));
  }
  var features = 0;
  function style(properties) {
    var many = properties.count > 1;
    features += 1;
    return {
      radius: radius(properties.count), weight: many ? 0 : 1, color: "#d62728",
      fill: true, fillColor: many ? "#1d3557" : "#e63946", fillOpacity: many ? 0.5 : 0.7
    };
  }
  fetch(box.dataset.tilejson).then(function (r) { return r.json(); }).then(function (doc) {
    var bounds = doc.bounds;
    map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]);
    var layer = L.vectorGrid.protobuf(doc.tiles[0], {
      maxNativeZoom: doc.maxzoom, maxZoom: 22, interactive: true,
      rendererFactory: L.svg.tile,
      vectorTileLayerStyles: { points: style }
    });
    layer.on("click", function (e) {
      var p = e.layer.properties, text = document.createElement("div");
      text.textContent = p.count > 1 ? p.count + " points" : (p.label || "") + " " + (p.category || "");
      L.popup().setLatLng(e.latlng).setContent(text).openOn(map);
    });
    layer.on("load", function () { window.clustermapTileFeatures = features; });
    window.clustermapPointTiles = layer;
    layer.addTo(map);
  });
})();
