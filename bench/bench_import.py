"""Import benchmark: generated districts of N parcels with footprints, imported with the same
`pandi import` command a user runs, into a fresh database (SQLite file or PostgreSQL).

    python bench/bench_import.py 10000 100000 [--db sqlite|postgres] [--format gpkg|geojson]

Prints and appends the figures (seconds, peak RSS) to var/bench/results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
OUT = ROOT / "var" / "bench"


def run(env: dict[str, str], result: Path, *argv: str) -> dict:
    subprocess.run([PY, str(ROOT / "bench" / "measure.py"), str(result), *argv], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return json.loads(result.read_text())


def fresh_db(kind: str, n: int) -> str:
    if kind == "sqlite":
        path = OUT / f"bench-{n}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"pandi_bench_{n}"
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def bench(n: int, db: str, fmt: str) -> dict:
    data = OUT / f"{n}"
    if not (data / f"parcels.{fmt}").exists():
        print(f"generating {n:,} parcels …", flush=True)
        subprocess.run([PY, str(ROOT / "bench" / "generate.py"), str(n), "--out", str(data), "--format", fmt],
                       check=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pandi.settings.dev", "PANDI_DEBUG": "0",
           "PANDI_DATABASE_URL": fresh_db(db, n)}
    subprocess.run([PY, "-m", "pandi", "migrate", "-v0"], env=env, check=True)
    subprocess.run([PY, "-m", "pandi", "setup-district"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([PY, "-m", "pandi", "create-admin", "bench", "--password", "Bench#Pass2021"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    parcels = run(env, OUT / "m1.json", "import", "parcels", str(data / f"parcels.{fmt}"), "--user", "bench")
    buildings = run(env, OUT / "m2.json", "import", "buildings", str(data / f"buildings.{fmt}"), "--user", "bench")
    again = run(env, OUT / "m3.json", "import", "parcels", str(data / f"parcels.{fmt}"), "--user", "bench")
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "n": n, "db": db, "format": fmt, "parcels_s": parcels["seconds"], "parcels_peak_mb": parcels["peak_rss_mb"],
        "buildings_s": buildings["seconds"], "buildings_peak_mb": buildings["peak_rss_mb"],
        "total_s": round(parcels["seconds"] + buildings["seconds"], 2), "reimport_unchanged_s": again["seconds"],
    }
    with (OUT / "results.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--format", choices=["gpkg", "geojson"], default="gpkg")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for n in args.sizes:
        bench(n, args.db, args.format)


if __name__ == "__main__":
    main()
