// Islands: small JS components mounted on [data-island="name"]. Each reads its configuration
// from a <script type="application/json"> referenced by data-config and is mounted once.
const registry = new Map();

export function registerIsland(name, mount) {
  registry.set(name, mount);
}

export function mountIslands(root) {
  const scope = root instanceof Element || root instanceof Document ? root : document;
  scope.querySelectorAll("[data-island]").forEach((el) => {
    if (el.dataset.islandMounted) return;
    const mount = registry.get(el.dataset.island);
    if (!mount) return;
    const configEl = el.dataset.config ? document.getElementById(el.dataset.config) : null;
    const config = configEl ? JSON.parse(configEl.textContent) : {};
    el.dataset.islandMounted = "1";
    mount(el, config);
  });
}
