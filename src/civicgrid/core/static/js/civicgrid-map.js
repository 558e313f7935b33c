/* A small Leaflet helper shared by every page with a map.
 * Usage: const m = civicgridMap(element, {center: [lat, lon], zoom: 14, tileUrl: "", cells: true, dark: false});
 *
 * The base map comes from /api/places/basemap (gazetteer/basemap.py), the same for every map: an
 * external tile server, the city's own MBTiles/PMTiles file served at /tiles/, or — on a closed
 * network with neither — a town drawn from the platform's data (blocks, roads with their names,
 * places, street and community boundaries). Staff see one line saying when no base map is set.
 * A tile URL given by the page (data-tile-url) is used as before. A click on the map shows the
 * nearest address (/api/places/reverse) in a line at the bottom.
 *
 * Leaflet puts a string given to bindTooltip / bindPopup into innerHTML. Names and every other value
 * from the database go in as text: civicgridText(value) is a node whose text is the value, never markup. */
(function () {
  "use strict";
  window.civicgridText = function (text) {
    const span = document.createElement("span");
    span.textContent = text === null || text === undefined ? "" : String(text);
    return span;
  };

  let basemapConfig = null;
  function loadBasemap() {
    if (!basemapConfig) {
      basemapConfig = fetch("/api/places/basemap", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .catch(function () { return null; });
    }
    return basemapConfig;
  }

  const LIGHT = { background: "#f4f1ea", built: "#e6e0d4", green: "#cfe6c1", public: "#efe0cf", casing: "#cbbfae",
    road: "#ffffff", lane: "#fbfaf7", street: "#7e57c2", community: "#9e94c4", text: "#4e4a44", halo: "#ffffff",
    place: "#8d6e63" };
  const DARK = { background: "#0e1a2b", built: "#16263b", green: "#173a2f", public: "#1f2d44", casing: "#0b1422",
    road: "#2f4b6b", lane: "#27405c", street: "#90a4ae", community: "#546e7a", text: "#b0bec5", halo: "#0e1a2b",
    place: "#78909c" };
  const PLACE_COLOURS = { "学校": "#1e88e5", "医院": "#e53935", "市场": "#fb8c00", "公园": "#43a047",
    "社区服务中心": "#8e24aa", "公共服务": "#546e7a", "小区": "#a1887f" };

  function label(text, kind, colours, angle) {
    const span = window.civicgridText(text);
    const s = span.style;
    s.color = colours.text;
    s.whiteSpace = "nowrap";
    s.textShadow = "0 0 3px " + colours.halo + ", 0 0 2px " + colours.halo;
    s.font = kind === "street" ? "600 14px sans-serif" : kind === "community" ? "500 13px sans-serif"
      : kind === "road" ? "12px sans-serif" : "11px sans-serif";
    if (kind === "street") { s.letterSpacing = "1px"; s.color = colours.street; }
    if (kind === "community") s.color = colours.community;
    s.display = "inline-block";
    s.transform = "translate(-50%, -50%)" + (angle ? " rotate(" + angle + "deg)" : "");
    if (kind === "place") s.transform = "translate(8px, -50%)";
    return span;
  }

  function alongLine(coords, every) {
    // Points and directions (degrees on screen, kept upright) along a line's vertices: its middle,
    // or one every `every` segments for long roads, so a road has its name wherever one looks.
    const line = coords.length && typeof coords[0][0] === "number" ? coords : coords[0];
    const n = line.length - 1;
    const at = [];
    if (every && n > every) { for (let i = Math.floor(every / 2); i < n; i += every) at.push(i); } else at.push(Math.max(0, Math.floor(n / 2)));
    return at.map(function (i) {
      const a = line[i], b = line[Math.min(i + 1, n)];
      const k = Math.cos(a[1] * Math.PI / 180);
      let angle = -Math.atan2(b[1] - a[1], (b[0] - a[0]) * k) * 180 / Math.PI;
      if (angle > 90) angle -= 180;
      if (angle < -90) angle += 180;
      return { at: [(a[1] + b[1]) / 2, (a[0] + b[0]) / 2], angle: angle };
    });
  }

  // A name on the drawn base map: a text node in the labels pane, placed again after each zoom (not a
  // marker: pages count their own markers).
  const Label = L.Layer.extend({
    initialize: function (latlng, node) {
      this._latlng = L.latLng(latlng);
      this._node = L.DomUtil.create("div", "cg-base-label leaflet-zoom-hide");
      this._node.style.position = "absolute";
      this._node.appendChild(node);
    },
    onAdd: function (map) {
      map.getPane("cg-base-labels").appendChild(this._node);
      map.on("zoomend viewreset", this._place, this);
      this._place();
    },
    onRemove: function (map) {
      this._node.remove();
      map.off("zoomend viewreset", this._place, this);
    },
    _place: function () { L.DomUtil.setPosition(this._node, this._map.latLngToLayerPoint(this._latlng)); },
  });

  function drawVectorBase(map, el, config, dark) {
    const colours = dark ? DARK : LIGHT;
    el.style.background = colours.background;
    const base = map.createPane("cg-base");
    base.style.zIndex = 150;
    const labelPane = map.createPane("cg-base-labels");
    labelPane.style.zIndex = 390;
    labelPane.style.pointerEvents = "none";
    const labels = [];  // [marker, minZoom, maxZoom]
    function addLabel(latlng, text, kind, minZoom, maxZoom, angle) {
      labels.push([new Label(latlng, label(text, kind, colours, angle)), minZoom, maxZoom]);
    }
    function showLabels() {
      const z = map.getZoom();
      labels.forEach(function (entry) {
        const on = z >= entry[1] && z <= entry[2];
        if (on && !map.hasLayer(entry[0])) entry[0].addTo(map);
        if (!on && map.hasLayer(entry[0])) map.removeLayer(entry[0]);
      });
    }
    const drawn = {};
    function get(name) {
      return fetch(config.layers[name], { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; });
    }
    const order = ["blocks", "roads", "boundaries", "places"];
    return Promise.all(order.map(get)).then(function (layers) {
      const [blocks, roads, boundaries, places] = layers;
      if (blocks) {
        drawn.blocks = L.geoJSON(blocks, { pane: "cg-base", interactive: false, style: function (f) {
          return { stroke: false, fillColor: colours[f.properties.use] || colours.built, fillOpacity: 1 };
        } }).addTo(map);
      }
      if (roads) {
        const width = { 1: 9, 2: 6, 3: 3.5 };
        drawn.casing = L.geoJSON(roads, { pane: "cg-base", interactive: false, style: function (f) {
          return { color: colours.casing, weight: width[f.properties.cls] + 2, lineCap: "round" };
        } }).addTo(map);
        drawn.roads = L.geoJSON(roads, { pane: "cg-base", interactive: false, style: function (f) {
          return { color: f.properties.cls === 3 ? colours.lane : colours.road, weight: width[f.properties.cls], lineCap: "round" };
        } }).addTo(map);
        roads.features.forEach(function (f) {
          const cls = f.properties.cls;
          alongLine(f.geometry.coordinates, cls === 3 ? 0 : 4).forEach(function (m) {
            addLabel(m.at, f.properties.name, "road", cls === 1 ? 14 : cls === 2 ? 15 : 16, 30, m.angle);
          });
        });
        el.dataset.baseRoads = String(roads.features.length);
      }
      if (boundaries) {
        drawn.boundaries = L.geoJSON(boundaries, { pane: "cg-base", interactive: false,
          filter: function (f) { return !f.properties.label; },
          style: function (f) {
            const street = f.properties.level === "street";
            return { color: street ? colours.street : colours.community, weight: street ? 2.5 : 1.2,
              dashArray: street ? "8 5" : "3 4", opacity: 0.8, fill: false };
          } }).addTo(map);
        boundaries.features.forEach(function (f) {
          if (!f.properties.label) return;
          const c = f.geometry.coordinates;
          if (f.properties.level === "street") addLabel([c[1], c[0]], f.properties.name, "street", 13, 13);
          else addLabel([c[1], c[0]], f.properties.name, "community", 14, 15);
        });
      }
      if (places) {
        drawn.places = L.geoJSON(places, { pane: "cg-base", interactive: false,
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, { pane: "cg-base", radius: 4, weight: 1.5, color: colours.halo,
              fillColor: PLACE_COLOURS[f.properties.category] || colours.place, fillOpacity: 1, interactive: false });
          } }).addTo(map);
        places.features.forEach(function (f) {
          const c = f.geometry.coordinates;
          addLabel([c[1], c[0]], f.properties.name, "place", 15, 30);
        });
      }
      map.on("zoomend", showLabels);
      showLabels();
      el.dataset.basemap = "vector";
      return drawn;
    });
  }

  function lineControl(map, position, className) {
    const Line = L.Control.extend({
      onAdd: function () {
        const div = L.DomUtil.create("div", "leaflet-control " + className);
        const s = div.style;
        s.background = "rgba(255,255,255,0.9)";
        s.color = "#37474f";
        s.padding = "2px 8px";
        s.borderRadius = "4px";
        s.font = "12px sans-serif";
        s.maxWidth = "22rem";
        L.DomEvent.disableClickPropagation(div);
        return div;
      },
    });
    const control = new Line({ position: position });
    control.addTo(map);
    return control.getContainer();
  }

  function applyBasemap(map, el, opts, config) {
    if (!config) { el.dataset.basemap = "none"; return; }
    if (config.attribution) map.attributionControl.addAttribution(config.attribution);
    if (config.notice) {
      const line = lineControl(map, "topleft", "cg-basemap-notice");
      line.textContent = config.notice;
      line.title = config.hint || "";
    }
    if (config.tiles) {
      const layer = L.tileLayer(config.tiles, { maxZoom: 19, minNativeZoom: config.minNativeZoom || 0,
        maxNativeZoom: config.maxNativeZoom || 19 });
      layer.on("tileload", function () { el.dataset.tilesLoaded = String((parseInt(el.dataset.tilesLoaded || "0", 10)) + 1); });
      layer.addTo(map);
      el.dataset.basemap = config.source;
      map.civicgridBase = layer;
    } else if (config.layers) {
      drawVectorBase(map, el, config, opts.dark).then(function (drawn) { map.civicgridBase = drawn; });
    }
  }

  function showAddressOnClick(map, el) {
    let line = null;
    let asked = 0;
    map.on("click", function (e) {
      const ticket = ++asked;
      const url = "/api/places/reverse?lat=" + e.latlng.lat.toFixed(6) + "&lon=" + e.latlng.lng.toFixed(6);
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (ticket !== asked || !data || !data.address) return;
          if (!line) line = lineControl(map, "bottomright", "cg-address-line");
          line.textContent = data.address.address;  // no emoji: many closed-network desktops have no emoji font
          el.dataset.nearestAddress = data.address.address;
          el.dispatchEvent(new CustomEvent("civicgrid:address", { detail: data.address }));
        });
    });
  }

  window.civicgridMap = function (el, options) {
    const opts = Object.assign({ center: [39.605, 109.79], zoom: 14, tileUrl: el.dataset.tileUrl || "", cells: true,
      dark: false, address: true }, options || {});
    const map = L.map(el, { zoomControl: true, attributionControl: true }).setView(opts.center, opts.zoom);
    map.attributionControl.setPrefix(false);
    if (opts.tileUrl) {
      L.tileLayer(opts.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
      el.dataset.basemap = "external";
    } else {
      loadBasemap().then(function (config) { applyBasemap(map, el, opts, config); });
    }
    if (opts.address) showAddressOnClick(map, el);
    el.civicgridMap = map;
    const cellLayer = L.geoJSON(null, {
      style: { color: "#5c6bc0", weight: 0.8, opacity: 0.45, fillOpacity: 0.02 },
      onEachFeature: function (f, layer) { layer.bindTooltip(window.civicgridText(f.properties.name + " " + f.properties.code)); },
    }).addTo(map);
    let lastBox = "";
    function loadCells() {
      if (!opts.cells) return;
      const b = map.getBounds();
      const box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(4); }).join(",");
      if (box === lastBox) return;
      lastBox = box;
      fetch("/api/grids/cells.geojson?bbox=" + box, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { cellLayer.clearLayers(); cellLayer.addData(data); } });
    }
    map.on("moveend", loadCells);
    loadCells();
    map.civicgridCells = cellLayer;
    return map;
  };
})();
