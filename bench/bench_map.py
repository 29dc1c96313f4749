"""Map-data latency: the /api/map/parcels endpoint the map island calls, over HTTP on loopback,
against a database filled by bench_import.py (default: the 100k SQLite one).

    python bench/bench_map.py --n 100000 [--db sqlite|postgres] [--requests 300]

Starts gunicorn (2 workers) on 127.0.0.1:8765, logs in as the bench user, then requests random
viewports at zooms 12–18 (the zooms people use on a district map): reports p50/p95/max latency
and response sizes, per zoom band. Bounded: a fixed number of requests, then it stops the server.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def db_url(kind: str, n: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{OUT / f'bench-{n}.sqlite3'}"
    return f"postgres://postgres@127.0.0.1:5432/pandi_bench_{n}"


def login(opener: urllib.request.OpenerDirector) -> None:
    page = opener.open(f"{BASE}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": "bench", "password": "Bench#Pass2021",
                                   "csrfmiddlewaretoken": token}).encode()
    opener.open(urllib.request.Request(f"{BASE}/accounts/login/", data=data, headers={"Referer": BASE}))


def viewport(rng: random.Random, extent: tuple[float, float, float, float], zoom: int) -> str:
    # a 1400×900 px screen at this zoom, in degrees (Web Mercator, ~29°N)
    width = 1400 * 360 / (256 * 2 ** zoom)
    height = 900 * 360 / (256 * 2 ** zoom) * 0.874
    minx, miny, maxx, maxy = extent
    cx, cy = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
    return f"{cx - width / 2:.6f},{cy - height / 2:.6f},{cx + width / 2:.6f},{cy + height / 2:.6f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pandi.settings.dev", "PANDI_DEBUG": "0",
           "PANDI_DATABASE_URL": db_url(args.db, args.n)}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "pandi.wsgi:application", "-w", "2",
                               "-b", f"127.0.0.1:{PORT}", "--log-level", "warning"],
                              env={**env, "DJANGO_SETTINGS_MODULE": "pandi.settings.dev"}, cwd=ROOT)
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"{BASE}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        login(opener)
        extent = (119.55, 29.02, 119.95, 29.30)
        rng = random.Random(3)
        bands: dict[str, list[tuple[float, int]]] = {"z12-14 (grid)": [], "z15-16 (polygons)": [],
                                                      "z17-18 (polygons)": []}
        for i in range(args.requests):
            zoom = rng.choice([12, 13, 14, 15, 15, 16, 16, 17, 18])
            url = f"{BASE}/api/map/parcels?bbox={viewport(rng, extent, zoom)}&zoom={zoom}"
            started = time.perf_counter()
            body = opener.open(url, timeout=30).read()
            ms = (time.perf_counter() - started) * 1000
            if i < 5:
                continue  # warm-up
            band = "z12-14 (grid)" if zoom <= 14 else "z15-16 (polygons)" if zoom <= 16 else "z17-18 (polygons)"
            bands[band].append((ms, len(body)))
        everything = [ms for rows in bands.values() for ms, _ in rows]
        result = {"when": time.strftime("%Y-%m-%d %H:%M"), "n": args.n, "db": args.db,
                  "requests": len(everything), "p50_ms": round(statistics.median(everything), 1),
                  "p95_ms": round(statistics.quantiles(everything, n=20)[18], 1),
                  "max_ms": round(max(everything), 1), "bands": {}}
        for band, rows in bands.items():
            if len(rows) >= 2:
                ms = [r[0] for r in rows]
                result["bands"][band] = {"requests": len(rows), "p50_ms": round(statistics.median(ms), 1),
                                         "p95_ms": round(statistics.quantiles(ms, n=20)[18], 1),
                                         "median_kb": round(statistics.median(r[1] for r in rows) / 1024, 1)}
        with (OUT / "results.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps({"map": result}, ensure_ascii=False) + "\n")
        print(json.dumps(result, ensure_ascii=False, indent=1))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
