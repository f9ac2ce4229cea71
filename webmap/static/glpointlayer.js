/* clustermap.glPointLayer: many points drawn with WebGL by deck.gl inside a Leaflet layer
   (deck.gl-leaflet), from a binary payload.

   config: {n, west, south, step, labels (bool), radius, colour} (built by
   webmap.maps.point_layer.PointLayer); payload: base64 of a zlib stream (webmap.maps.pointdata)
   holding, one after the other:
     - longitudes, then latitudes, each as n uint32 written byte plane by byte plane (the n
       lowest bytes first, then the next ones...): zigzag-encoded int32 differences from the
       previous point's value (the first from 0), the values being steps of `step` degrees
       from west / south;
     - if labels: n uint32 label lengths in bytes (byte planes too), then the labels' UTF-8
       bytes, one after the other. Labels went through webmap.maps.escape.escape_text: HTML
       character references only, no markup.
   The layer is returned at once; its points appear once the payload is inflated
   (DecompressionStream) and the first frame holding them is drawn, which sets
   window.clustermapPointCount (increased by n) and window.clustermapPointTime (ms from
   navigation, performance.now()) and appends the layer to
   window.clustermapPointLayers. A click picks the point under the cursor (deck.gl picking)
   and opens a popup with its label. For tests, the layer answers clustermapLabel(i) and
   clustermapLatLng(i) of its i-th point (in the payload's order). */
(function () {
    "use strict";
    window.clustermap = window.clustermap || {};

    function base64Bytes(text) {
        if (Uint8Array.fromBase64) {
            return Uint8Array.fromBase64(text);
        }
        var binary = atob(text);
        var bytes = new Uint8Array(binary.length);
        for (var i = 0; i < binary.length; i++) {
            bytes[i] = binary.charCodeAt(i);
        }
        return bytes;
    }

    function inflate(bytes) {
        var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
        return new Response(stream).arrayBuffer().then(function (buffer) {
            return new Uint8Array(buffer);
        });
    }

    // n uint32 written as 4 byte planes from bytes[start]
    function planes(bytes, start, n) {
        var out = new Uint32Array(n);
        var b0 = start, b1 = start + n, b2 = start + 2 * n, b3 = start + 3 * n;
        for (var i = 0; i < n; i++) {
            out[i] = (bytes[b0 + i] | (bytes[b1 + i] << 8) | (bytes[b2 + i] << 16) |
                      (bytes[b3 + i] << 24)) >>> 0;
        }
        return out;
    }

    // CSS colour (validated in Python) -> [r, g, b, a] for deck.gl
    function rgba(colour, opacity) {
        var context = document.createElement("canvas").getContext("2d");
        context.fillStyle = colour;
        context.fillRect(0, 0, 1, 1);
        var pixel = context.getImageData(0, 0, 1, 1).data;
        return [pixel[0], pixel[1], pixel[2], Math.round(pixel[3] * opacity)];
    }

    // zigzag differences -> values (uint32 wrap-around), in place
    function undelta(column) {
        var value = 0;
        for (var i = 0; i < column.length; i++) {
            var z = column[i];
            value = (value + ((z >>> 1) ^ -(z & 1))) >>> 0;
            column[i] = value;
        }
        return column;
    }

    function decode(config, bytes) {
        var n = config.n;
        var lon = undelta(planes(bytes, 0, n));
        var lat = undelta(planes(bytes, 4 * n, n));
        // float64: deck.gl draws them with its 64-bit emulation (exact at street level)
        var positions = new Float64Array(2 * n);
        for (var i = 0; i < n; i++) {
            positions[2 * i] = config.west + lon[i] * config.step;
            positions[2 * i + 1] = config.south + lat[i] * config.step;
        }
        var decoded = {positions: positions, labels: null};
        if (config.labels) {
            var lengths = planes(bytes, 8 * n, n);
            var starts = new Uint32Array(n + 1);
            starts[0] = 12 * n;
            for (var j = 0; j < n; j++) {
                starts[j + 1] = starts[j] + lengths[j];
            }
            decoded.labels = {bytes: bytes, starts: starts};
        }
        return decoded;
    }

    // One vertex per point, drawn as a GL point sprite: ScatterplotLayer draws an instanced
    // quad per point, which software WebGL (SwiftShader, headless Chromium) runs ~10 times
    // slower. deck.gl projects the points (project32) and picks them (picking, by vertex id).
    var VS = [
        "#version 300 es",
        "#define SHADER_NAME clustermap-points-vertex",
        "in vec3 positions;",
        "in vec3 positions64Low;",
        "void main(void) {",
        "  geometry.worldPosition = positions;",
        "  geometry.pickingColor = picking_getPickingColorFromIndex(float(gl_VertexID));",
        "  gl_Position = project_position_to_clipspace(positions, positions64Low, vec3(0.0),",
        "                                              geometry.position);",
        "  DECKGL_FILTER_GL_POSITION(gl_Position, geometry);",
        "  gl_PointSize = 2.0 * (RADIUS + 1.0);",
        "  vec4 color = FILL_COLOR;",
        "  DECKGL_FILTER_COLOR(color, geometry);",
        "}"
    ].join("\n");
    var FS = [
        "#version 300 es",
        "#define SHADER_NAME clustermap-points-fragment",
        "precision highp float;",
        "out vec4 fragColor;",
        "void main(void) {",
        "  float r = length(gl_PointCoord * 2.0 - 1.0) * (RADIUS + 1.0);",
        "  if (r > RADIUS + 1.0) {",
        "    discard;",
        "  }",
        "  fragColor = r > RADIUS ? vec4(FILL_COLOR.rgb * 0.55, 1.0) : FILL_COLOR;",
        "  fragColor.a *= layer.opacity;",
        "  DECKGL_FILTER_COLOR(fragColor, geometry);",
        "}"
    ].join("\n");

    function glsl(number) {
        var text = String(number);
        return text.indexOf(".") < 0 && text.indexOf("e") < 0 ? text + ".0" : text;
    }

    var PointSprites = null;

    function pointSprites() {
        if (PointSprites) {
            return PointSprites;
        }
        PointSprites = class extends deck.Layer {
            getShaders() {
                var fill = this.props.fillColor.map(function (c) { return glsl(c / 255); });
                return super.getShaders({
                    vs: VS,
                    fs: FS,
                    modules: [deck.project32, deck.picking],
                    defines: {
                        RADIUS: glsl(this.props.radius),
                        FILL_COLOR: "vec4(" + fill.join(", ") + ")"
                    }
                });
            }

            initializeState() {
                this.getAttributeManager().add({
                    positions: {
                        size: 3,
                        type: "float64",
                        fp64: this.use64bitPositions(),
                        accessor: "getPosition"
                    }
                });
            }

            updateState(params) {
                super.updateState(params);
                if (params.changeFlags.extensionsChanged) {
                    if (this.state.model) {
                        this.state.model.destroy();
                    }
                    this.state.model = new luma.Model(this.context.device, Object.assign(
                        this.getShaders(), {
                            id: this.props.id,
                            bufferLayout: this.getAttributeManager().getBufferLayouts(
                                {isInstanced: false}),
                            topology: "point-list",
                            isInstanced: false
                        }));
                    this.getAttributeManager().invalidateAll();
                }
            }

            draw() {
                var model = this.state.model;
                model.setVertexCount(this.getNumInstances());
                model.draw(this.context.renderPass);
            }
        };
        PointSprites.layerName = "ClustermapPointSprites";
        PointSprites.defaultProps = {
            getPosition: {type: "accessor", value: function (x) { return x.position; }},
            radius: 5,
            fillColor: [51, 136, 255, 204]
        };
        return PointSprites;
    }

    window.clustermap.glPointLayer = function (config, payload) {
        var n = config.n;
        var decoder = new TextDecoder();
        var data = null;
        var labels = null;
        var done = false;
        var layer = new DeckGlLeaflet.LeafletLayer({layers: []});

        function label(index) {
            return decoder.decode(labels.bytes.subarray(labels.starts[index],
                                                        labels.starts[index + 1]));
        }

        function drawn(info) {
            if (done || !layer._deck || !layer._deck.layerManager) {
                return;
            }
            var layers = layer._deck.layerManager.getLayers();
            if (!layers.length || !layers.every(function (l) { return l.isLoaded; })) {
                return;
            }
            // wait for the GPU: a pixel read returns once every command before it ran
            var gl = info.gl;
            gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
            done = true;
            window.clustermapPointLayers = window.clustermapPointLayers || [];
            window.clustermapPointLayers.push(layer);
            window.clustermapPointCount = (window.clustermapPointCount || 0) + n;
            // milliseconds from navigation to these points drawn, by the page's own clock
            window.clustermapPointTime = performance.now();
        }

        // a deck.gl layer serves one Deck: each time the layer is added to the map (the
        // layer control), deck.gl-leaflet makes a new Deck, which gets a new one
        function sprites() {
            return new (pointSprites())({
                id: "clustermap-points",
                data: {length: n, attributes: {getPosition: {value: data.positions, size: 2}}},
                radius: config.radius,
                fillColor: rgba(config.colour, 0.8),
                pickable: Boolean(labels)
            });
        }

        inflate(base64Bytes(payload)).then(function (bytes) {
            data = decode(config, bytes);
            labels = data.labels;
            layer.setProps({onAfterRender: drawn, layers: [sprites()]});
        }).catch(function (error) {
            window.clustermapPointError = String(error);
            throw error;
        });

        layer.on("add", function () {
            if (data) {
                layer.setProps({layers: [sprites()]});
            }
            // the map, not deck.gl's canvas, takes the pointer: no picking on every move
            layer._container.style.pointerEvents = "none";
            layer._map.on("click", pick);
        });
        layer.on("remove", function (e) {
            e.target._map && e.target._map.off("click", pick);
        });

        function pick(e) {
            if (!labels || !layer._deck) {  // no labels: nothing to show
                return;
            }
            var info = layer.pickObject({x: e.containerPoint.x, y: e.containerPoint.y,
                                         radius: Math.ceil(config.radius) + 2});
            if (!info || info.index < 0) {
                return;
            }
            var position = layer.clustermapLatLng(info.index);
            var content = L.DomUtil.create("div", "cm-point-popup");
            // labels went through escape_text: HTML character references only, no markup
            content.innerHTML = label(info.index);
            L.popup({maxWidth: 320}).setLatLng(position).setContent(content)
                .openOn(layer._map);
        }

        layer.clustermapLabel = function (index) {
            return labels ? label(index) : null;
        };
        layer.clustermapLatLng = function (index) {
            return [data.positions[2 * index + 1], data.positions[2 * index]];
        };
        return layer;
    };
})();
