// The map island (挂图作战): Leaflet on [data-island="map"].
//   mode "full"   — the district map: parcels by bounding box from /api/map/parcels (polygons when
//                   zoomed in, a grid of counts by state when zoomed out), township boundaries,
//                   filters, search, a card per parcel with a link to its page.
//   mode "parcel" — the small map on a parcel's page: the parcel, its buildings, its neighbours.
// Everything (Leaflet, its CSS and images) is bundled by esbuild; no CDN. With PANDI_BASEMAP=none
// there are no tiles at all: a plain light background with the township boundaries.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import "./map.css";

const FEATURE_MIN_ZOOM = 15;
const DEFAULT_CENTER = [29.1, 119.75]; // 金东区
const NO_DATA = "—";

// --- small helpers ---------------------------------------------------------------------------

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

function darker(hex, factor = 0.65) {
  const n = parseInt(hex.slice(1), 16);
  const r = Math.round(((n >> 16) & 255) * factor);
  const g = Math.round(((n >> 8) & 255) * factor);
  const b = Math.round((n & 255) * factor);
  return `rgb(${r}, ${g}, ${b})`;
}

function formatMu(value) {
  if (value === null || value === undefined) return NO_DATA;
  return Number(value).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function bboxToBounds(b) {
  return L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
}

function statesOf(config) {
  const colour = {};
  const label = {};
  for (const s of config.states || []) {
    colour[s.value] = s.colour;
    label[s.value] = s.label;
  }
  return { colour: (v) => colour[v] || "#6b7280", label: (v) => label[v] || v || NO_DATA };
}

function parcelUrl(config, id) {
  return (config.parcelUrl || "").replace("{id}", String(id));
}

function createMap(container, config, options = {}) {
  const basemap = config.basemap || { kind: "none", layers: [] };
  const map = L.map(container, {
    zoomControl: true,
    minZoom: 3,
    maxZoom: 20,
    attributionControl: true,
    ...options,
  });
  map.attributionControl.setPrefix(false);
  const layers = basemap.layers || [];
  if (layers.length) {
    for (const layer of layers) {
      L.tileLayer(layer.url, {
        subdomains: layer.subdomains || "abc",
        attribution: layer.attribution || "",
        maxNativeZoom: layer.maxZoom || 18,
        maxZoom: 20,
      }).addTo(map);
    }
  } else {
    container.classList.add("pd-map-nobasemap");
    if (basemap.note) map.attributionControl.addAttribution(basemap.note);
  }
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
  // keep the map sized to its box (sidebars, HTMX swaps, window resizes)
  if (window.ResizeObserver) new ResizeObserver(() => map.invalidateSize()).observe(container);
  return map;
}

function legendTitle(config, filters) {
  if (filters.layer && config.layers && config.layers[filters.layer]) return config.layers[filters.layer].title;
  return "宗地状态";
}

function legendControl(config, title = "宗地状态") {
  const states = config.states || [];
  const control = L.control({ position: "bottomright" });
  control.onAdd = () => {
    const box = h("div", { class: "pd-map-legend", "data-testid": "map-legend" },
      h("div", { class: "pd-map-legend-title" }, title),
      states.map((s) => h("div", { class: "pd-map-legend-item" },
        h("span", { class: "pd-map-swatch", style: `background:${s.colour};border-color:${darker(s.colour)}` }),
        s.label)));
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  return control;
}

function parcelCard(config, props, states) {
  return h("div", { class: "pd-map-card", "data-testid": "map-card" },
    h("div", { class: "pd-map-card-key" }, props.key || NO_DATA),
    props.name ? h("div", { class: "pd-map-card-name" }, props.name) : null,
    h("dl", {},
      h("dt", {}, "权利人"), h("dd", {}, props.holder || NO_DATA),
      h("dt", {}, "面积"), h("dd", {}, `${formatMu(props.area_mu)} 亩`),
      h("dt", {}, "状态"), h("dd", {},
        h("span", { class: "pd-map-swatch", style: `background:${states.colour(props.state)}` }),
        states.label(props.state))),
    h("a", { class: "pd-map-card-link", href: parcelUrl(config, props.id), "data-testid": "map-card-link" },
      "查看宗地详情 →"));
}

function parcelStyle(states, props, extra = {}) {
  const colour = states.colour(props.state);
  return { color: darker(colour), weight: 1.2, fillColor: colour, fillOpacity: 0.55, ...extra };
}

function clusterIcon(cluster, states) {
  const entries = Object.entries(cluster.states || {}).sort((a, b) => b[1] - a[1]);
  let at = 0;
  const stops = entries.map(([state, n]) => {
    const from = (at / cluster.count) * 360;
    at += n;
    const to = (at / cluster.count) * 360;
    return `${states.colour(state)} ${from.toFixed(1)}deg ${to.toFixed(1)}deg`;
  });
  const size = Math.round(Math.min(56, 24 + Math.log10(cluster.count) * 12));
  const label = cluster.count >= 10000 ? `${Math.round(cluster.count / 1000)}k` : String(cluster.count);
  return L.divIcon({
    className: "pd-map-cluster-icon",
    iconSize: [size, size],
    html: `<div class="pd-map-cluster" style="width:${size}px;height:${size}px;background:conic-gradient(${stops.join(",")})"><span>${label}</span></div>`,
  });
}

async function getJSON(url, signal) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal });
  if (!response.ok) throw new Error(`${response.status}`);
  return response.json();
}

// --- the full map --------------------------------------------------------------------------

function mountFull(root, config) {
  const canvas = root.querySelector("[data-role=canvas]") || root;
  const status = root.querySelector("[data-role=status]");
  const filtersForm = root.querySelector("[data-role=filters]");
  const searchForm = root.querySelector("[data-role=search]");
  const results = root.querySelector("[data-role=results]");
  const filters = { township: "", state: "", layer: "", inventory: "", ...(config.filters || {}) };
  // colour by construction state, or (layer=screening) by the latest saved screening's status
  const layerStates = () => (filters.layer && config.layers && config.layers[filters.layer]
    ? config.layers[filters.layer].states : config.states);
  let states = statesOf({ states: layerStates() });

  const map = createMap(canvas, config);
  map.createPane("townships").style.zIndex = 350;
  map.createPane("townshipLabels").style.zIndex = 450;
  map.getPane("townshipLabels").style.pointerEvents = "none";
  let legend = legendControl({ states: layerStates() }, legendTitle(config, filters)).addTo(map);
  const relegend = () => {
    legend.remove();
    states = statesOf({ states: layerStates() });
    legend = legendControl({ states: layerStates() }, legendTitle(config, filters)).addTo(map);
    const select = filtersForm && filtersForm.querySelector("select[name=state]");
    if (select) {
      select.replaceChildren(h("option", { value: "" }, "全部状态"),
        ...layerStates().map((s) => h("option", { value: s.value }, s.label)));
      select.value = "";
    }
  };

  if (config.extent) map.fitBounds(bboxToBounds(config.extent), { padding: [16, 16] });
  else map.setView(DEFAULT_CENTER, 11);

  const setStatus = (text, tone = "") => {
    if (!status) return;
    status.textContent = text;
    status.dataset.tone = tone;
  };

  // township boundaries (scoped by the API: a township officer gets only theirs)
  const townshipLayers = new Map();
  const townshipGroup = L.layerGroup().addTo(map);
  getJSON(config.api.townships).then((data) => {
    for (const feature of data.features || []) {
      const layer = L.geoJSON(feature, {
        pane: "townships",
        interactive: false,
        style: { color: "#1d4e89", weight: 1.6, dashArray: "6 4", fillColor: "#ffffff", fillOpacity: 0.75 },
      });
      const at = feature.properties.label;
      const label = L.marker(at ? [at[1], at[0]] : layer.getBounds().getCenter(), {
        pane: "townshipLabels",
        interactive: false,
        keyboard: false,
        icon: L.divIcon({ className: "pd-map-township-label", iconSize: null,
                          html: h("span", {}, feature.properties.name) }),
      });
      townshipGroup.addLayer(layer);
      townshipGroup.addLayer(label);
      townshipLayers.set(String(feature.properties.id), layer);
    }
    canvas.dataset.townships = String(townshipLayers.size);
  }).catch(() => setStatus("乡镇边界加载失败", "error"));

  // parcels for the current view
  const dataLayer = L.layerGroup().addTo(map);
  const featureLayers = new Map();
  let controller = null;
  let timer = null;
  let pendingCard = null; // a parcel id whose card opens once its polygon is drawn
  let selected = null;

  const openCard = (props, layer) => {
    if (selected && selected !== layer && selected.setStyle) selected.setStyle({ weight: 1.2 });
    selected = layer;
    if (layer.setStyle) layer.setStyle({ weight: 3 });
    const center = layer.getBounds ? layer.getBounds().getCenter() : layer.getLatLng();
    L.popup({ maxWidth: 300, minWidth: 220, autoPanPadding: [30, 30] })
      .setLatLng(center)
      .setContent(parcelCard(config, props, states))
      .openOn(map);
  };

  const drawFeatures = (data) => {
    const geo = L.geoJSON(data, {
      style: (f) => parcelStyle(states, f.properties),
      onEachFeature: (f, layer) => {
        featureLayers.set(String(f.properties.id), layer);
        layer.bindTooltip(f.properties.key || "", { sticky: true, direction: "top", className: "pd-map-tip" });
        layer.on("click", () => openCard(f.properties, layer));
      },
    });
    dataLayer.addLayer(geo);
    const shown = data.count.toLocaleString("zh-CN");
    if (data.truncated) setStatus(`视野内宗地过多，仅显示面积最大的 ${shown} 宗；请放大或筛选`, "warning");
    else setStatus(`视野内 ${shown} 宗`);
  };

  const drawClusters = (data) => {
    for (const c of data.clusters) {
      let marker;
      if (c.count === 1) {
        const state = Object.keys(c.states)[0];
        const colour = states.colour(state);
        marker = L.circleMarker([c.lat, c.lon], {
          radius: 6, color: "#ffffff", weight: 1.5, fillColor: colour, fillOpacity: 0.95,
        });
        marker.bindTooltip(states.label(state), { direction: "top", className: "pd-map-tip" });
        marker.on("click", () => {
          if (c.id) pendingCard = String(c.id);
          map.setView([c.lat, c.lon], Math.max(FEATURE_MIN_ZOOM + 1, map.getZoom()));
        });
      } else {
        marker = L.marker([c.lat, c.lon], { icon: clusterIcon(c, states), riseOnHover: true });
        const lines = Object.entries(c.states).sort((a, b) => b[1] - a[1])
          .map(([s, n]) => `${states.label(s)}：${n} 宗`);
        marker.bindTooltip(`共 ${c.count} 宗，${formatMu(c.area_mu)} 亩<br>${lines.join("<br>")}`,
          { direction: "top", className: "pd-map-tip" });
        marker.on("click", () => {
          const bounds = bboxToBounds(c.bbox);
          const tiny = bounds.getNorthEast().distanceTo(bounds.getSouthWest()) < 50;
          if (tiny) map.setView(bounds.getCenter(), Math.max(FEATURE_MIN_ZOOM, map.getZoom() + 2));
          else map.fitBounds(bounds.pad(0.15), { maxZoom: Math.max(FEATURE_MIN_ZOOM, map.getZoom() + 1) });
        });
      }
      dataLayer.addLayer(marker);
    }
    const total = data.count.toLocaleString("zh-CN");
    if (data.dense) setStatus(`视野内 ${total} 宗，较密集，已聚合显示；继续放大查看地块边界`);
    else setStatus(`视野内 ${total} 宗（聚合显示，放大到 ${FEATURE_MIN_ZOOM} 级查看地块边界）`);
  };

  let lastQuery = "";
  const load = async () => {
    const b = map.getBounds();
    const params = new URLSearchParams({
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(","),
      zoom: String(map.getZoom()),
    });
    if (filters.township) params.set("township", filters.township);
    if (filters.state) params.set("state", filters.state);
    if (filters.layer) params.set("layer", filters.layer);
    if (params.toString() === lastQuery && !pendingCard) return; // nothing moved
    lastQuery = params.toString();
    if (controller) controller.abort();
    controller = new AbortController();
    canvas.dataset.loading = "1";
    setStatus("正在加载……");
    try {
      const data = await getJSON(`${config.api.parcels}?${params}`, controller.signal);
      dataLayer.clearLayers();
      featureLayers.clear();
      selected = null;
      if (data.mode === "features") drawFeatures(data);
      else drawClusters(data);
      canvas.dataset.mode = data.mode;
      canvas.dataset.count = String(data.count);
      if (pendingCard && data.mode === "features") {
        const layer = featureLayers.get(pendingCard);
        pendingCard = null;
        if (layer) openCard(layer.feature.properties, layer);
      }
    } catch (error) {
      if (error.name !== "AbortError") {
        lastQuery = "";
        setStatus("宗地数据加载失败，请稍后重试", "error");
      }
    } finally {
      delete canvas.dataset.loading;
    }
  };
  const reload = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  };
  map.on("moveend", () => {
    canvas.classList.toggle("pd-map-zoomed-in", map.getZoom() >= FEATURE_MIN_ZOOM);
    reload();
  });
  canvas.classList.toggle("pd-map-zoomed-in", map.getZoom() >= FEATURE_MIN_ZOOM);
  load();

  // the inventory overlay: entries of the accepted lists with their 清单编号 (R7 地块分布图)
  const inventoryLayer = L.layerGroup();
  let inventoryLoaded = false;
  const showInventory = (on) => {
    if (!config.api.inventory) return;
    if (!on) {
      inventoryLayer.remove();
      return;
    }
    inventoryLayer.addTo(map);
    if (inventoryLoaded) return;
    inventoryLoaded = true;
    getJSON(config.api.inventory).then((data) => {
      const geo = L.geoJSON(data, {
        style: (f) => ({ color: f.properties.kind === "block" ? "#c2410c" : "#b91c1c", weight: 2.4,
                         dashArray: "5 3", fillOpacity: 0.08 }),
        onEachFeature: (f, layer) => {
          layer.bindTooltip(f.properties.number, { permanent: true, direction: "center",
                                                   className: "pd-map-entry-label" });
          layer.bindPopup(h("div", { class: "pd-map-card" },
            h("div", { class: "pd-map-card-key" }, `清单编号 ${f.properties.number}`),
            h("div", { class: "pd-map-card-name" }, f.properties.label),
            h("dl", {},
              h("dt", {}, "乡镇"), h("dd", {}, f.properties.township || NO_DATA),
              h("dt", {}, "权利人"), h("dd", {}, f.properties.holder || NO_DATA),
              h("dt", {}, "面积"), h("dd", {}, `${formatMu(f.properties.area_mu)} 亩`),
              h("dt", {}, "状态"), h("dd", {}, f.properties.status || NO_DATA)),
            config.entryUrl ? h("a", { class: "pd-map-card-link",
                                       href: config.entryUrl.replace("{id}", String(f.properties.id)) },
                                "查看清单条目 →") : null));
        },
      });
      inventoryLayer.addLayer(geo);
      canvas.dataset.inventory = String(data.count);
    }).catch(() => setStatus("清单地块加载失败", "error"));
  };
  map.on("zoomend", () => canvas.classList.toggle("pd-map-labels", map.getZoom() >= 14));
  canvas.classList.toggle("pd-map-labels", map.getZoom() >= 14);
  if (filters.inventory === "1") showInventory(true);

  const updateAddress = () => {
    const url = new URL(window.location.href);
    for (const [key, value] of Object.entries(filters)) {
      if (value) url.searchParams.set(key, value);
      else url.searchParams.delete(key);
    }
    window.history.replaceState(null, "", url);
  };

  // filters: township (zooms to it), state, colouring layer, inventory overlay; kept in the address bar
  if (filtersForm) {
    filtersForm.addEventListener("submit", (event) => event.preventDefault());
    filtersForm.addEventListener("change", (event) => {
      const field = event.target;
      if (!(field.name in filters)) return;
      filters[field.name] = field.type === "checkbox" ? (field.checked ? "1" : "") : field.value;
      if (field.name === "layer") {
        filters.state = "";
        relegend();
      }
      if (field.name === "inventory") {
        showInventory(filters.inventory === "1");
        updateAddress();
        return;
      }
      updateAddress();
      if (field.name === "township") {
        const layer = townshipLayers.get(field.value);
        if (layer) {
          map.fitBounds(layer.getBounds(), { padding: [16, 16] });
          return; // moveend reloads
        }
        if (!field.value && config.extent) {
          map.fitBounds(bboxToBounds(config.extent), { padding: [16, 16] });
          return;
        }
      }
      reload();
    });
  }

  // search by code / 电子监管号 / name / holder; zoom to the match and open its card
  const goTo = (result) => {
    if (results) results.hidden = true;
    if (!result.bbox) {
      window.location.href = parcelUrl(config, result.id);
      return;
    }
    pendingCard = String(result.id);
    const bounds = bboxToBounds(result.bbox);
    const target = Math.max(FEATURE_MIN_ZOOM + 1, Math.min(18, map.getBoundsZoom(bounds.pad(0.6))));
    map.setView(bounds.getCenter(), target);
    if (featureLayers.has(pendingCard)) reload();
  };
  if (config.focus) goTo(config.focus); // ?parcel=<id>: open on that parcel with its card
  if (searchForm) {
    searchForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const q = (new FormData(searchForm).get("q") || "").toString().trim();
      if (!q) return;
      try {
        const data = await getJSON(`${config.api.search}?${new URLSearchParams({ q })}`);
        const found = data.results || [];
        if (!results) return;
        results.replaceChildren();
        if (!found.length) {
          results.append(h("li", { class: "pd-map-result-empty" }, `没有找到“${q}”`));
        } else if (found.length === 1 && found[0].bbox) {
          goTo(found[0]);
          return;
        }
        for (const r of found) {
          results.append(h("li", {},
            h("button", { type: "button", class: "pd-map-result", "data-testid": "map-result", onclick: () => goTo(r) },
              h("span", { class: "pd-map-swatch", style: `background:${states.colour(r.state)}` }),
              h("strong", {}, r.key), " ", r.name || "",
              h("small", {}, [r.holder, r.township, r.area_mu !== null ? `${formatMu(r.area_mu)} 亩` : ""]
                .filter(Boolean).join(" · ")))));
        }
        results.hidden = false;
      } catch {
        setStatus("查找失败，请稍后重试", "error");
      }
    });
    document.addEventListener("click", (event) => {
      if (results && !searchForm.contains(event.target)) results.hidden = true;
    });
  }
  root.pandiMap = map;
}

// --- the small map on a parcel's page -------------------------------------------------------

function mountParcel(root, config) {
  const states = statesOf(config);
  if (!config.parcel) {
    root.classList.add("pd-map-empty");
    root.textContent = "本宗地暂无边界数据";
    return;
  }
  const map = createMap(root, config, { scrollWheelZoom: false });
  map.createPane("neighbours").style.zIndex = 380;
  const parcelLayer = L.geoJSON(config.parcel, {
    style: (f) => parcelStyle(states, f.properties, { weight: 2.5, fillOpacity: 0.3 }),
  }).addTo(map);
  parcelLayer.bindTooltip(config.parcel.properties.key || "", { sticky: true, className: "pd-map-tip" });
  const buildings = L.geoJSON({ type: "FeatureCollection", features: config.buildings || [] }, {
    style: { color: "#1f2937", weight: 1, fillColor: "#4b5563", fillOpacity: 0.75 },
    onEachFeature: (f, layer) => {
      const p = f.properties || {};
      const parts = ["建筑物"];
      if (p.footprint_m2) parts.push(`占地 ${Number(p.footprint_m2).toLocaleString("zh-CN")} m²`);
      if (p.floor_area_m2) parts.push(`建筑面积 ${Number(p.floor_area_m2).toLocaleString("zh-CN")} m²`);
      if (p.storeys) parts.push(`${p.storeys} 层`);
      layer.bindTooltip(parts.join(" · "), { sticky: true, className: "pd-map-tip" });
    },
  }).addTo(map);
  const bounds = parcelLayer.getBounds();
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 18 });

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => h("div", { class: "pd-map-legend" },
    h("div", { class: "pd-map-legend-item" },
      h("span", { class: "pd-map-swatch", style: `background:${states.colour(config.parcel.properties.state)}` }),
      "本宗地"),
    (config.buildings || []).length
      ? h("div", { class: "pd-map-legend-item" }, h("span", { class: "pd-map-swatch", style: "background:#4b5563" }),
        `建筑物（${config.buildings.length}）`)
      : null,
    h("div", { class: "pd-map-legend-item" }, h("span", { class: "pd-map-swatch pd-map-swatch-faint" }), "相邻宗地"));
  legend.addTo(map);

  // neighbours, faint, each a link to its own page
  const around = bounds.pad(1.5);
  const params = new URLSearchParams({
    bbox: [around.getWest(), around.getSouth(), around.getEast(), around.getNorth()].map((v) => v.toFixed(6)).join(","),
    zoom: "18",
  });
  getJSON(`${config.api.parcels}?${params}`).then((data) => {
    if (data.mode !== "features") return;
    const others = (data.features || []).filter((f) => f.properties.id !== config.parcel.properties.id);
    L.geoJSON({ type: "FeatureCollection", features: others }, {
      pane: "neighbours",
      style: { color: "#6b7280", weight: 1, fillColor: "#9ca3af", fillOpacity: 0.15, dashArray: "3 3" },
      onEachFeature: (f, layer) => {
        layer.bindTooltip(`${f.properties.key}${f.properties.name ? ` ${f.properties.name}` : ""}`,
          { sticky: true, className: "pd-map-tip" });
        layer.on("click", () => { window.location.href = parcelUrl(config, f.properties.id); });
      },
    }).addTo(map);
    buildings.bringToFront();
  }).catch(() => {});
  root.pandiMap = map;
}

export function mountMap(root, config) {
  if (config.mode === "parcel") mountParcel(root, config);
  else mountFull(root, config);
  root.dataset.mapReady = "1";
}
