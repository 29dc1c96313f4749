// Bundles the front-end for Django: pandi/static/dist/{pandi.js,pandi.css} plus any assets.
// Nothing here is fetched at run time; everything comes from node_modules installed by `npm ci`.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";

const outdir = "../pandi/static/dist";
mkdirSync(outdir, { recursive: true });
const started = Date.now();
await build({
  entryPoints: { pandi: "src/main.js", "pandi-style": "src/main.css" },
  bundle: true,
  minify: true,
  sourcemap: true,
  target: ["chrome100", "firefox100", "safari15"],
  outdir,
  loader: { ".png": "file", ".svg": "file", ".woff": "file", ".woff2": "file" },
  assetNames: "assets/[name]-[hash]",
  logLevel: "warning",
});
console.log(`前端资源已构建 -> ${outdir} (${Date.now() - started} ms)`);
