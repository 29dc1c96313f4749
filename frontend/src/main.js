// Pandi front-end entry: HTMX for partial updates, Bootstrap behaviours (dropdowns, collapse),
// and the island loader that later issues use for the map and charts.
import htmx from "htmx.org";
import "bootstrap/js/dist/dropdown";
import "bootstrap/js/dist/collapse";
import { mountIslands, registerIsland } from "./islands.js";
import { mountMap } from "./map.js";
import { mountDrawBlock } from "./drawblock.js";

window.htmx = htmx;

registerIsland("map", mountMap);
registerIsland("drawblock", mountDrawBlock);

// CSRF for every HTMX request: Django reads the token from the X-CSRFToken header.
document.body.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

document.addEventListener("DOMContentLoaded", () => mountIslands(document));
document.body.addEventListener("htmx:afterSwap", (event) => mountIslands(event.target));
