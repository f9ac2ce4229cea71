/* clustermap.pointLayer: many points as circle markers on a canvas, clustered or not.

   data: {lon: [...], lat: [...], label: [...] (optional; already escaped as HTML text by
   webmap.maps.escape.escape_text: character references only, no markup)}; style: the
   markers' Leaflet path options; cluster: group them with Leaflet.markercluster.
   Built by webmap.maps.point_layer.PointLayer; reports to window.clustermapPointLayers and
   window.clustermapPointCount once every marker is on the map (for page scripts and tests). */
(function () {
    "use strict";
    window.clustermap = window.clustermap || {};

    window.clustermap.pointLayer = function (data, style, cluster) {
        style.renderer = L.canvas({padding: 0.5, tolerance: 3});
        var group;
        var done = false;
        var markers = new Array(data.lat.length);

        function loaded() {
            if (done) {
                return;
            }
            done = true;
            window.clustermapPointLayers = window.clustermapPointLayers || [];
            window.clustermapPointLayers.push(group);
            window.clustermapPointCount =
                (window.clustermapPointCount || 0) + group.getLayers().length;
        }

        if (cluster) {
            group = L.markerClusterGroup({
                chunkedLoading: true,
                showCoverageOnHover: false,
                chunkProgress: function (processed, total) {
                    // (the group's own onAdd reports an empty batch: 0 of 0)
                    if (total === markers.length && processed === total) {
                        loaded();
                    }
                }
            });
        } else {
            group = L.featureGroup();
        }
        for (var i = 0; i < markers.length; i++) {
            style.cmIndex = i;
            markers[i] = L.circleMarker([data.lat[i], data.lon[i]], style);
        }
        if (cluster) {
            // markers are clustered once the group is on a map: before that, addLayers
            // checks each marker against all the pending ones (quadratic: 5 s for 100,000)
            group.once("add", function () {
                if (markers.length) {
                    group.addLayers(markers);
                } else {
                    loaded();
                }
            });
        } else {
            for (var j = 0; j < markers.length; j++) {
                group.addLayer(markers[j]);
            }
            loaded();
        }
        if (data.label) {
            // labels went through escape_text: HTML character references only, no markup
            group.on("click", function (e) {
                var content = L.DomUtil.create("div", "cm-point-popup");
                content.innerHTML = data.label[e.layer.options.cmIndex];
                L.popup({maxWidth: 320})
                    .setLatLng(e.layer.getLatLng())
                    .setContent(content)
                    .openOn(group._map);
            });
        }
        return group;
    };
})();
