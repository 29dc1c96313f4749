// The list map island (清单地块分布与勾绘): Leaflet on [data-island="drawblock"].
//   Shows a list's entries (列入 / 已剔除 / 乡镇补充) over the township boundary; each entry links to
//   its page. With config.draw, a township officer draws a block the data missed: "勾绘地块", click
//   the corners, double-click (or "完成", or click the first corner) to finish. The polygon is written
//   as GeoJSON (CGCS2000 lon/lat) into the form field config.draw.input; the server measures it on
//   the ground and checks that it lies in the township. A GeoJSON pasted into that field is drawn too.
// No CDN: Leaflet and its CSS are bundled (see map.js); this island adds only a few styles of its own.
import L from "leaflet";

const COLOURS = { included: "#ea580c", excluded: "#9ca3af", added: "#16a34a", drawn: "#dc2626", boundary: "#1d4e89" };
const DEFAULT_CENTER = [29.1, 119.75];
const SNAP_PX = 8;

const CSS = `
.pd-draw-bar { display: flex; gap: 4px; background: rgba(255,255,255,.95); padding: 4px; border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.pd-draw-bar button { border: 1px solid #d1d5db; background: #fff; border-radius: 4px; padding: 3px 10px; font-size: 13px;
  line-height: 1.4; color: #111827; cursor: pointer; }
.pd-draw-bar button:hover { background: #eff6ff; }
.pd-draw-bar button.pd-draw-primary { background: #1d4e89; border-color: #1d4e89; color: #fff; }
.pd-draw-bar button[hidden] { display: none; }
.pd-draw-hint { background: rgba(255,255,255,.95); padding: 3px 10px; border-radius: 4px; font-size: 12px; color: #374151;
  box-shadow: 0 1px 3px rgba(0,0,0,.2); max-width: 260px; }
.pd-draw-hint:empty { display: none; }
.leaflet-container.pd-drawing { cursor: crosshair; }
.leaflet-container.pd-drawing .leaflet-interactive { cursor: crosshair; }
`;

function injectStyles() {
  if (document.getElementById("pd-drawblock-css")) return;
  const style = document.createElement("style");
  style.id = "pd-drawblock-css";
  style.textContent = CSS;
  document.head.append(style);
}

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fmt(value, digits = 2) {
  return Number(value).toLocaleString("zh-CN", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// Area of a lon/lat ring on the ground, in m² (local equirectangular projection: within 0.1 % for
// blocks of a few km; the server computes the official figure in CGCS2000 Gauss–Krüger).
export function approxAreaM2(ring) {
  if (ring.length < 3) return 0;
  const R = 6378137;
  const lat0 = (ring.reduce((s, p) => s + p[1], 0) / ring.length) * (Math.PI / 180);
  const k = (Math.PI / 180) * R;
  const pts = ring.map(([lon, lat]) => [lon * k * Math.cos(lat0), lat * k]);
  let sum = 0;
  for (let i = 0; i < pts.length; i += 1) {
    const [x1, y1] = pts[i];
    const [x2, y2] = pts[(i + 1) % pts.length];
    sum += x1 * y2 - x2 * y1;
  }
  return Math.abs(sum) / 2;
}

function createMap(container, config) {
  const basemap = config.basemap || { kind: "none", layers: [] };
  const map = L.map(container, { zoomControl: true, minZoom: 3, maxZoom: 20, scrollWheelZoom: false });
  map.attributionControl.setPrefix(false);
  const layers = basemap.layers || [];
  if (layers.length) {
    for (const layer of layers) {
      L.tileLayer(layer.url, {
        subdomains: layer.subdomains || "abc", attribution: layer.attribution || "",
        maxNativeZoom: layer.maxZoom || 18, maxZoom: 20,
      }).addTo(map);
    }
  } else {
    container.classList.add("pd-map-nobasemap");
    if (basemap.note) map.attributionControl.addAttribution(basemap.note);
  }
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
  if (window.ResizeObserver) new ResizeObserver(() => map.invalidateSize()).observe(container);
  return map;
}

function entryStyle(props) {
  if (!props.included) {
    return { color: "#6b7280", weight: 1.2, dashArray: "4 3", fillColor: COLOURS.excluded, fillOpacity: 0.2 };
  }
  const colour = props.source === "added" ? COLOURS.added : COLOURS.included;
  return { color: colour, weight: 1.8, fillColor: colour, fillOpacity: 0.35 };
}

function entryTip(p) {
  const area = p.area_mu !== null && p.area_mu !== undefined ? ` · ${fmt(p.area_mu)} 亩` : "";
  return `${[p.number, p.label].filter(Boolean).join(" ")}${area}${p.included ? "" : "（已剔除）"}`;
}

function legend(config) {
  const control = L.control({ position: "bottomright" });
  const item = (style, label) => h("div", { class: "pd-map-legend-item" },
    h("span", { class: "pd-map-swatch", style }), label);
  control.onAdd = () => {
    const box = h("div", { class: "pd-map-legend", "data-testid": "list-map-legend" },
      item(`background:${COLOURS.included}`, "列入（系统初筛）"),
      item(`background:${COLOURS.added}`, "列入（乡镇补充）"),
      item("background:rgba(156,163,175,.3);border:1px dashed #6b7280", "已剔除"),
      item(`background:#fff;border:1px dashed ${COLOURS.boundary}`, "乡镇（街道）边界"),
      config.draw ? item(`background:${COLOURS.drawn}`, "勾绘的地块") : null);
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  return control;
}

function parseGeometry(text) {
  try {
    let data = JSON.parse(text);
    if (data && data.type === "FeatureCollection" && (data.features || []).length === 1) data = data.features[0];
    if (data && data.type === "Feature") data = data.geometry;
    if (data && (data.type === "Polygon" || data.type === "MultiPolygon")) return data;
  } catch {
    // not (yet) GeoJSON: nothing to preview
  }
  return null;
}

// --- drawing -------------------------------------------------------------------------------

function mountDrawing(root, map, config) {
  const input = document.getElementById(config.draw.input);
  const areaOut = config.draw.area ? document.getElementById(config.draw.area) : null;
  const drawn = L.layerGroup().addTo(map);
  let points = [];
  let drawing = false;
  let rubber = null;

  const bar = h("div", { class: "pd-draw-bar" });
  const hint = h("div", { class: "pd-draw-hint", "data-testid": "draw-hint" });
  const button = (label, testid, onclick, primary = false) => {
    const b = h("button", { type: "button", "data-testid": testid, class: primary ? "pd-draw-primary" : "" }, label);
    b.addEventListener("click", (event) => { event.preventDefault(); onclick(); });
    bar.append(b);
    return b;
  };
  const startBtn = button("勾绘地块", "draw-start", () => start(), true);
  const finishBtn = button("完成", "draw-finish", () => finish(), true);
  const undoBtn = button("撤销一点", "draw-undo", () => undo());
  const cancelBtn = button("取消", "draw-cancel", () => cancel());
  const clearBtn = button("清除", "draw-clear", () => clear());

  const control = L.control({ position: "topright" });
  control.onAdd = () => {
    const box = h("div", { class: "pd-draw-box" }, bar, h("div", { style: "height:4px" }), hint);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);

  const setHint = (text) => { hint.textContent = text; };
  const refreshButtons = () => {
    startBtn.hidden = drawing;
    startBtn.textContent = input && input.value.trim() ? "重新勾绘" : "勾绘地块";
    finishBtn.hidden = !drawing;
    undoBtn.hidden = !drawing;
    cancelBtn.hidden = !drawing;
    clearBtn.hidden = drawing || !(input && input.value.trim());
    root.dataset.drawing = drawing ? "1" : "";
  };

  const showArea = (geometry) => {
    if (!areaOut) return;
    areaOut.replaceChildren();
    if (!geometry) return;
    const polygons = geometry.type === "MultiPolygon" ? geometry.coordinates : [geometry.coordinates];
    let m2 = 0;
    let corners = 0;
    for (const polygon of polygons) {
      polygon.forEach((ring, i) => {
        const a = approxAreaM2(ring);
        m2 += i === 0 ? a : -a;
        corners += Math.max(ring.length - 1, 0);
      });
    }
    areaOut.append(h("span", { class: "badge text-bg-danger me-1" }, "已勾绘"),
      `${corners} 个拐点，约 ${fmt((m2 * 15) / 10000)} 亩（约 ${fmt(m2, 0)} 平方米）；提交后按实地面积计算。`);
  };

  const drawGeometry = (geometry, fit) => {
    drawn.clearLayers();
    if (!geometry) return;
    const layer = L.geoJSON(geometry, {
      style: { color: COLOURS.drawn, weight: 2.5, fillColor: COLOURS.drawn, fillOpacity: 0.25 },
      interactive: false,
    }).addTo(drawn);
    if (fit) map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 18 });
  };

  const redrawSketch = () => {
    drawn.clearLayers();
    if (!points.length) return;
    L.polyline(points, { color: COLOURS.drawn, weight: 2, interactive: false }).addTo(drawn);
    if (points.length >= 3) {
      L.polygon(points, { stroke: false, fillColor: COLOURS.drawn, fillOpacity: 0.15, interactive: false }).addTo(drawn);
    }
    points.forEach((p, i) => {
      L.circleMarker(p, { radius: i === 0 ? 6 : 4, color: COLOURS.drawn, weight: 2, fillColor: "#fff", fillOpacity: 1,
                          interactive: false }).addTo(drawn);
    });
    rubber = null;
  };

  const close = (a, b) => map.latLngToContainerPoint(a).distanceTo(map.latLngToContainerPoint(b)) < SNAP_PX;
  const dedupe = (pts) => pts.filter((p, i) => i === 0 || !close(p, pts[i - 1]));

  function start() {
    drawing = true;
    points = [];
    drawn.clearLayers();
    map.doubleClickZoom.disable();
    map.getContainer().classList.add("pd-drawing");
    setHint("依次点击地块的拐点；双击、点击起点或“完成”结束；Esc 取消");
    refreshButtons();
  }

  function stop() {
    drawing = false;
    map.getContainer().classList.remove("pd-drawing");
    setTimeout(() => map.doubleClickZoom.enable(), 300);
    if (rubber) { rubber.remove(); rubber = null; }
    refreshButtons();
  }

  function finish() {
    points = dedupe(points);
    if (points.length < 3) {
      setHint("至少需要 3 个拐点才能构成地块");
      return;
    }
    const ring = points.map((p) => [Number(p.lng.toFixed(7)), Number(p.lat.toFixed(7))]);
    ring.push([...ring[0]]);
    const geometry = { type: "Polygon", coordinates: [ring] };
    if (input) {
      input.value = JSON.stringify(geometry);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    stop();
    drawGeometry(geometry, false);
    showArea(geometry);
    setHint("");
    root.dataset.drawn = "1";
    refreshButtons();
    const label = input && input.form ? input.form.querySelector("[name=label]") : null;
    if (label && !label.value) label.focus({ preventScroll: true });
  }

  function undo() {
    points.pop();
    redrawSketch();
  }

  function cancel() {
    points = [];
    stop();
    setHint("");
    const existing = input ? parseGeometry(input.value) : null;
    drawGeometry(existing, false);
  }

  function clear() {
    if (input) {
      input.value = "";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    drawn.clearLayers();
    showArea(null);
    root.dataset.drawn = "";
    refreshButtons();
  }

  map.on("click", (event) => {
    if (!drawing) return;
    if (points.length >= 3 && close(event.latlng, points[0])) {
      finish();
      return;
    }
    points.push(event.latlng);
    redrawSketch();
  });
  map.on("dblclick", () => { if (drawing) finish(); });
  map.on("mousemove", (event) => {
    if (!drawing || !points.length) return;
    const last = points[points.length - 1];
    if (rubber) rubber.setLatLngs([last, event.latlng]);
    else rubber = L.polyline([last, event.latlng], { color: COLOURS.drawn, weight: 1.5, dashArray: "4 4",
                                                     interactive: false }).addTo(drawn);
  });
  document.addEventListener("keydown", (event) => {
    if (!drawing) return;
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) return;
    if (event.key === "Escape") cancel();
    else if (event.key === "Enter") { event.preventDefault(); finish(); }
  });

  if (input) {
    // a GeoJSON pasted (or left from a refused submission) is shown on the map
    const preview = (fit) => {
      if (drawing) return;
      const geometry = parseGeometry(input.value);
      drawGeometry(geometry, fit);
      showArea(geometry);
      root.dataset.drawn = geometry ? "1" : "";
      refreshButtons();
    };
    input.addEventListener("change", () => preview(true));
    preview(Boolean(input.value.trim()));
  }
  refreshButtons();
}

// --- the island ----------------------------------------------------------------------------

export function mountDrawBlock(root, config) {
  injectStyles();
  const entries = config.entries || { type: "FeatureCollection", features: [] };
  const boundary = config.boundary || { type: "FeatureCollection", features: [] };
  if (!entries.features.length && !boundary.features.length && !config.draw) {
    root.classList.add("pd-map-empty");
    root.textContent = "暂无范围数据";
    root.dataset.mapReady = "1";
    return;
  }
  const map = createMap(root, config);
  map.createPane("boundary").style.zIndex = 350;
  const boundaryLayer = L.geoJSON(boundary, {
    pane: "boundary", interactive: false,
    style: { color: COLOURS.boundary, weight: 1.6, dashArray: "6 4", fillColor: "#ffffff", fillOpacity: 0.6 },
  }).addTo(map);
  const entryUrl = (id) => (config.entryUrl || "").replace("{id}", String(id));
  const entryLayer = L.geoJSON(entries, {
    style: (f) => entryStyle(f.properties || {}),
    onEachFeature: (f, layer) => {
      const p = f.properties || {};
      layer.bindTooltip(entryTip(p), { sticky: true, className: "pd-map-tip" });
      if (config.entryUrl && !config.focus) {
        layer.on("click", () => {
          if (root.dataset.drawing) return;
          window.location.href = entryUrl(p.id);
        });
      }
    },
  }).addTo(map);
  // an entry excluded or restored in the table (HTMX, HX-Trigger "pd-entry-changed") is recoloured here
  document.body.addEventListener("pd-entry-changed", (event) => {
    const detail = event.detail || {};
    entryLayer.eachLayer((layer) => {
      const p = layer.feature && layer.feature.properties;
      if (!p || p.id !== detail.id) return;
      p.included = Boolean(detail.included);
      layer.setStyle(entryStyle(p));
      layer.setTooltipContent(entryTip(p));
    });
  });
  const bounds = entryLayer.getBounds();
  if (config.focus && bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 18 });
  else if (boundaryLayer.getBounds().isValid()) map.fitBounds(boundaryLayer.getBounds().extend(bounds.isValid() ? bounds : boundaryLayer.getBounds()), { padding: [12, 12] });
  else if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 18 });
  else map.setView(DEFAULT_CENTER, 12);
  legend(config).addTo(map);
  if (config.draw) mountDrawing(root, map, config);
  root.pandiMap = map;
  root.dataset.mapReady = "1";
}
