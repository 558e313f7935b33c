/* CityMap: the city's layers from /api/map/layers/<id> on a Leaflet map — reusable by any page.
 *
 *   const cm = CityMap(element, {
 *     layers: [...catalogue entries...],   // from /api/map/layers (id, kind, legend, available)
 *     enabled: ["boundaries", "cases"],    // layers drawn at start
 *     filters: {start: "2026-11-01", end: "2026-11-27", status: ["accepted"], category: "", street: ""},
 *     center: [lat, lon], zoom: 14, bounds: [[south, west], [north, east]] (optional, fitted at start), dark: false,
 *     onFeature: function (properties, layerId) {},   // a feature was clicked (properties.card is its card)
 *     onLayer: function (layerId, collection) {},     // a layer was (re)drawn
 *   });
 *   cm.setFilters({...}); cm.setLayer("cell_overdue", true); cm.reload();
 *
 * Works without tiles (closed networks): vector layers on a plain background. Reloads are
 * debounced on move/zoom/filter changes; every answer is kept with its ETag and asked again with
 * If-None-Match, so an unchanged layer costs a 304 and no redraw. The element carries
 * data-layer-<id>="<mode>:<count>" after each draw (handy for tests and for the big screen).
 */
(function () {
  "use strict";

  const PANES = { choropleth: ["citymap-fill", 410], polygons: ["citymap-fill", 410], bins: ["citymap-bins", 415],
    boundaries: ["citymap-lines", 420], points: ["citymap-points", 430] };
  const CACHE_PER_LAYER = 24;

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  window.CityMap = function (el, options) {
    const opts = Object.assign({ layers: [], enabled: [], filters: {}, center: [39.605, 109.79], zoom: 14,
      dark: false, api: "/api/map/layers/", debounce: 250, onFeature: null, onLayer: null, onError: null }, options || {});
    const map = window.civicgridMap(el, { center: opts.center, zoom: opts.zoom, cells: false, dark: opts.dark });
    if (opts.bounds) {
      map.options.zoomSnap = 0.25;  // fit the city closely; the API is asked with the rounded zoom
      map.fitBounds(opts.bounds, { padding: [12, 12] });
    }
    Object.keys(PANES).forEach(function (kind) {
      const [name, z] = PANES[kind];
      if (!map.getPane(name)) { map.createPane(name).style.zIndex = z; }
    });
    let filters = Object.assign({}, opts.filters);
    const layers = {};
    opts.layers.forEach(function (spec) {
      layers[spec.id] = { spec: spec, on: false, group: null, cache: {}, keys: [], controller: null, shown: null };
    });

    function lineColour(base) { return opts.dark ? "#b0bec5" : base; }

    function style(spec, feature) {
      const p = feature.properties;
      // Points are styled by pointToLayer; a style here would move them into the polygons' pane.
      if (feature.geometry && feature.geometry.type === "Point") return {};
      if (spec.kind === "boundaries") {
        const street = p.level === "street";
        return { color: opts.dark ? (street ? "#eceff1" : "#78909c") : p.colour, weight: street ? 3 : 1.5,
          dashArray: street ? null : "5 4", fill: false, pane: PANES.boundaries[0] };
      }
      if (spec.kind === "choropleth") {
        return { color: lineColour("#78909c"), weight: 0.7, fillColor: p.fill || "#ffffff",
          fillOpacity: p.fill ? 0.7 : 0.05, pane: PANES.choropleth[0] };
      }
      // Stall zones under the lines; hexagons of a points layer above the choropleths.
      return { color: p.fill || p.colour, weight: 1.2, fillColor: p.fill || p.colour, fillOpacity: 0.5,
        pane: spec.kind === "points" ? PANES.bins[0] : PANES.polygons[0] };
    }

    function draw(id, collection) {
      const layer = layers[id];
      if (!layer.on) return;
      const spec = layer.spec;
      if (layer.group) { map.removeLayer(layer.group); }
      const className = "citymap-feature citymap-" + id + (collection.mode === "binned" ? " citymap-bin" : "");
      layer.group = L.geoJSON(collection, {
        style: function (f) {
          const s = style(spec, f);
          return f.geometry && f.geometry.type === "Point" ? s : Object.assign(s, { className: className });
        },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: f.properties.radius || 6, color: opts.dark ? "#263238" : "#ffffff",
            weight: 1.5, fillColor: f.properties.colour, fillOpacity: 0.9, pane: PANES.points[0], className: className });
        },
        onEachFeature: function (f, lyr) {
          if (f.properties.card && f.properties.card.title) { lyr.bindTooltip(window.civicgridText(f.properties.card.title)); }
          lyr.on("click", function () {
            if (opts.onFeature) opts.onFeature(f.properties, id);
            // A hexagon stands for many cases: zoom into it (points appear below the threshold).
            if (collection.mode === "binned" && lyr.getBounds) map.setView(lyr.getBounds().getCenter(), map.getZoom() + 2);
          });
        },
      }).addTo(map);
      layer.shown = collection;
      el.setAttribute("data-layer-" + id, collection.mode + ":" + collection.features.length);
      if (opts.onLayer) opts.onLayer(id, collection);
    }

    function url(id) {
      const b = map.getBounds();
      const p = new URLSearchParams();
      p.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(","));
      p.set("zoom", String(Math.round(map.getZoom())));
      ["start", "end", "category", "street"].forEach(function (k) { if (filters[k]) p.set(k, filters[k]); });
      (filters.status || []).forEach(function (s) { if (s) p.append("status", s); });
      return opts.api + encodeURIComponent(id) + "?" + p.toString();
    }

    function remember(layer, key, etag, data) {
      if (!layer.cache[key]) { layer.keys.push(key); }
      layer.cache[key] = { etag: etag, data: data };
      while (layer.keys.length > CACHE_PER_LAYER) { delete layer.cache[layer.keys.shift()]; }
    }

    function load(id) {
      const layer = layers[id];
      if (!layer || !layer.on) return Promise.resolve(null);
      const key = url(id);
      const cached = layer.cache[key];
      if (layer.controller) layer.controller.abort();
      const controller = new AbortController();
      layer.controller = controller;
      const headers = { Accept: "application/geo+json" };
      if (cached) headers["If-None-Match"] = cached.etag;
      el.setAttribute("data-loading", String(Number(el.getAttribute("data-loading") || 0) + 1));
      return fetch(key, { credentials: "same-origin", headers: headers, signal: controller.signal })
        .then(function (r) {
          if (r.status === 304 && cached) { el.setAttribute("data-not-modified", String(Number(el.getAttribute("data-not-modified") || 0) + 1)); return cached.data; }
          if (!r.ok) return r.json().then(function (e) { throw e; });
          const etag = r.headers.get("ETag");
          return r.json().then(function (data) { if (etag) remember(layer, key, etag, data); return data; });
        })
        .then(function (data) {
          if (controller !== layer.controller || !layer.on) return null;
          if (layer.shown !== data) { draw(id, data); }
          return data;
        })
        .catch(function (err) {
          if (err && err.name === "AbortError") return null;
          if (opts.onError) opts.onError(id, err);
          return null;
        })
        .finally(function () {
          el.setAttribute("data-loading", String(Math.max(0, Number(el.getAttribute("data-loading") || 1) - 1)));
        });
    }

    function reload() {
      return Promise.all(Object.keys(layers).filter(function (id) { return layers[id].on; }).map(load));
    }
    const reloadSoon = debounce(reload, opts.debounce);

    function setLayer(id, on) {
      const layer = layers[id];
      if (!layer) return;
      layer.on = !!on;
      if (!on) {
        if (layer.controller) layer.controller.abort();
        if (layer.group) { map.removeLayer(layer.group); layer.group = null; }
        layer.shown = null;
        el.removeAttribute("data-layer-" + id);
        if (opts.onLayer) opts.onLayer(id, null);
        return;
      }
      load(id);
    }

    map.on("moveend", reloadSoon);
    opts.enabled.forEach(function (id) { if (layers[id]) layers[id].on = true; });
    reload();

    return {
      map: map,
      layers: layers,
      reload: reload,
      setLayer: setLayer,
      setFilters: function (f) { filters = Object.assign({}, f); reloadSoon(); },
      filters: function () { return Object.assign({}, filters); },
    };
  };
})();
