"""Screening benchmark: the whole `pandi screen --save --propose` path on a generated district of N
parcels with footprints — load from the database → status → geometry → vacant land and blocks →
save the run → propose the lists — with the wall time and peak RSS after each stage.

    python bench/bench_screening.py --parcels 100000 [--db sqlite|postgres] [--skip-generate] [--postgis]

The data (made once per size and database, then reused; `--regenerate` forces it) is a `generate.py`
layout — industrial zones, blocks of contiguous parcels with roads between them — with screening
facts spread so that all seven statuses occur on the as-of date (2021-04-30): supply contracts with
agreed start or handover dates before and after it, construction facts (started, completed,
suspended with low ratios), enterprises holding the parcels, a few non-industrial uses and
government-caused delays, and footprints on completed and under-construction parcels and some idle
ones. It is written straight into the tables (executemany on SQLite, COPY on PostgreSQL): data
setup, not what is measured. The screening runs in a fresh process through the same engine and
services the web page and `pandi screen` use.

`--postgis` (PostgreSQL with PostGIS installed) also computes the same vacant blocks in SQL
(ST_Difference, ST_ClusterDBSCAN with eps = tolerance, ST_Union per cluster, ST_Area in EPSG:4549)
and reports its time beside the engine's.

Prints a table and appends one JSON line to var/bench/results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "var" / "bench"
AS_OF = date(2021, 4, 30)
USER, PASSWORD = "bench", "Bench#Pass2021"
CAMPAIGN_CODE = "bench-screening"

# share of parcels per profile (what the facts say on AS_OF)
PROFILES = [("later", 0.02), ("unknown", 0.03), ("within", 0.10), ("overdue", 0.10), ("idle", 0.15),
            ("stalled", 0.05), ("under", 0.15), ("completed", 0.40)]
FOOTPRINT_SHARE = {"idle": 0.25, "stalled": 0.5, "under": 0.6, "completed": 0.92}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def db_url(kind: str, n: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{OUT / f'screen-{n}.sqlite3'}"
    return f"postgres://postgres@127.0.0.1:5432/pandi_bench_screen_{n}"


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qtAc", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


def django_setup(kind: str, n: int) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "pandi.settings.dev"
    os.environ["PANDI_DEBUG"] = "0"
    os.environ["PANDI_DATABASE_URL"] = db_url(kind, n)
    import django

    django.setup()


# --- data setup ----------------------------------------------------------------------------------

def _ready(kind: str, n: int) -> bool:
    if kind == "sqlite" and not (OUT / f"screen-{n}.sqlite3").exists():
        return False
    if kind == "postgres" and psql(f"select 1 from pg_database where datname='pandi_bench_screen_{n}'") != "1":
        return False
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pandi.settings.dev", "PANDI_DATABASE_URL": db_url(kind, n)}
    code = ("import django;django.setup();from pandi.land.models import Parcel;"
            "from pandi.supervision.models import Campaign;"
            f"print(Parcel.objects.count()=={n} and Campaign.objects.filter(code='{CAMPAIGN_CODE}').exists())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    return out.stdout.strip().endswith("True")


def _fresh(kind: str, n: int) -> None:
    if kind == "sqlite":
        path = OUT / f"screen-{n}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    psql(f"DROP DATABASE IF EXISTS pandi_bench_screen_{n}")
    psql(f"CREATE DATABASE pandi_bench_screen_{n}")


class Writer:
    """Rows straight into a table: COPY on PostgreSQL, executemany on SQLite (one transaction)."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.pg = connection.vendor == "postgresql"
        self.now = datetime.now(UTC)

    def _default(self, f):
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return self.now
        if f.has_default():
            return f.get_default()
        if f.null:
            return None
        return "" if f.get_internal_type() in ("CharField", "TextField", "SlugField") else None

    def insert(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields]
        cols = [self.connection.ops.quote_name(f.column) for f in fields]
        defaults = {f.attname: self._default(f) for f in fields}
        names = [f.attname for f in fields]
        json_cols = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
        table = model._meta.db_table
        conn = self.connection

        def value(name, v):
            if name in json_cols and v is not None and not isinstance(v, str):
                v = json.dumps(v, ensure_ascii=False)
            if self.pg:
                return v
            if isinstance(v, datetime):
                return conn.ops.adapt_datetimefield_value(v)
            if isinstance(v, date):
                return v.isoformat()
            if isinstance(v, Decimal):
                return str(v)
            return v

        tuples = ([value(k, r.get(k, defaults[k])) for k in names] for r in rows)
        conn.ensure_connection()
        if self.pg:
            with conn.cursor() as cur:
                with cur.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for t in tuples:
                        copy.write_row(t)
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        else:
            raw = conn.connection
            raw.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", tuples)


def generate_db(kind: str, n: int, seed: int) -> None:
    """A fresh database with N parcels and their screening facts (see the module docstring)."""
    import random

    import numpy as np
    import shapely

    _fresh(kind, n)
    django_setup(kind, n)
    from django.core.management import call_command
    from django.db import transaction

    from bench.generate import layout
    from pandi.accounts.models import OrgUnit
    from pandi.demo.layout import footprints
    from pandi.demo.seed import CAMPAIGN
    from pandi.domain.geo import GROUND_CRS, LONLAT_CRS, transformer
    from pandi.domain.screening import M2_PER_MU
    from pandi.land.models import Building, ConstructionFacts, Enterprise, Holding, Parcel, SupplyContract
    from pandi.supervision.models import Campaign

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if kind == "postgres":
        psql("CREATE EXTENSION IF NOT EXISTS postgis", f"pandi_bench_screen_{n}") if _has_postgis() else None
    with open(os.devnull, "w") as quiet:
        call_command("setup_district", stdout=quiet)
        call_command("create_admin", USER, "--password", PASSWORD, stdout=quiet)
    Campaign.objects.update(is_current=False)
    print(f"  database ready ({time.perf_counter() - started:.0f} s); laying out {n:,} parcels …", flush=True)

    ground, _ = layout(n, seed, progress=lambda m: print(m, flush=True))
    rng = random.Random(seed + 1)
    to_lonlat = transformer(GROUND_CRS, LONLAT_CRS)

    def lonlat(geoms):
        return shapely.transform(geoms, lambda xy: np.column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1])))

    townships = list(OrgUnit.objects.filter(kind="township").values_list("id", "boundary_geojson"))
    t_geoms = np.array([shapely.from_geojson(json.dumps(b)) for _, b in townships], dtype=object)
    parcels_ll = lonlat(ground)
    centroids = shapely.centroid(parcels_ll)
    src, hit = shapely.STRtree(t_geoms).query(centroids, predicate="within")
    township_of = np.full(n, -1, dtype=np.int64)
    township_of[src] = np.array([townships[i][0] for i in hit], dtype=np.int64)
    areas = shapely.area(ground)
    bounds = shapely.bounds(parcels_ll)
    texts = shapely.to_geojson(parcels_ll)
    cx, cy = shapely.get_x(centroids), shapely.get_y(centroids)
    print(f"  geometry prepared ({time.perf_counter() - started:.0f} s)", flush=True)

    names, weights = zip(*PROFILES, strict=True)
    profiles = rng.choices(names, weights, k=n)

    def day(lo: date, hi: date) -> date:
        return lo + timedelta(days=rng.randint(0, (hi - lo).days))

    T = AS_OF
    parcels, contracts, facts, holdings, enterprises, buildings = [], [], [], [], [], []
    enterprise_id = 0
    run_left = 0
    fp_count = 0
    for i in range(n):
        pid = i + 1
        prof = profiles[i]
        area = round(float(areas[i]), 2)
        mu = area / float(M2_PER_MU)
        industrial = rng.random() < 0.93
        land_use, code = ("工业用地", "0601") if industrial else rng.choice([("商服用地", "05"), ("住宅用地", "07")])
        tid = int(township_of[i]) if township_of[i] >= 0 else None
        # a contract: dates by profile; a quarter of the not-started ones agreed only a handover date
        contract = {"id": pid, "parcel_id": pid, "land_use": land_use, "supply_method": "挂牌出让",
                    "term_years": 50, "price_wan": Decimal(str(round(mu * rng.uniform(8, 40), 4))),
                    "area_ha": Decimal(str(round(area / 10000, 6)))}
        construction = None
        state = "overdue"
        if prof == "later":
            contract["contract_date"] = day(T + timedelta(days=1), T + timedelta(days=365))
            contract["agreed_start"] = contract["contract_date"] + timedelta(days=180)
            state = "not_due"
        elif prof == "unknown":
            contract["contract_date"] = day(T - timedelta(days=3000), T - timedelta(days=30))
            state = "unknown"
        elif prof in ("within", "overdue", "idle"):
            if prof == "within":
                d = day(T + timedelta(days=1), T + timedelta(days=540))
                state = "not_due"
            elif prof == "overdue":
                d = day(T - timedelta(days=364), T - timedelta(days=1))
            else:
                d = day(T - timedelta(days=6 * 365), T - timedelta(days=366))
            contract["contract_date"] = d - timedelta(days=rng.randint(200, 500))
            if rng.random() < 0.25:
                handover = d.replace(year=d.year - 1) if not (d.month == 2 and d.day == 29) else d - timedelta(365)
                contract["actual_handover" if rng.random() < 0.5 else "agreed_handover"] = handover
            else:
                contract["agreed_start"] = d
            r = rng.random()
            if r < 0.06:
                construction = {"idle_cause": "government", "government_cause_item": rng.randint(1, 6)}
            elif r < 0.08:
                construction = {"idle_cause": "force_majeure"}
        else:
            start = {"stalled": day(T - timedelta(days=5 * 365), T - timedelta(days=2 * 365)),
                     "under": day(T - timedelta(days=3 * 365), T - timedelta(days=20)),
                     "completed": day(T - timedelta(days=15 * 365), T - timedelta(days=3 * 365))}[prof]
            contract["contract_date"] = start - timedelta(days=rng.randint(200, 600))
            contract["agreed_start"] = start - timedelta(days=rng.randint(-60, 120))
            total = Decimal(str(round(mu * rng.uniform(150, 400), 2)))
            construction = {"actual_start": start, "permit_date": start - timedelta(days=30),
                            "permit_no": f"330703{pid:08d}", "required_dev_area_m2": Decimal(str(area)),
                            "total_investment_wan": total}
            if prof == "stalled":
                ratio = rng.uniform(0.05, 0.3)
                construction.update(developed_area_m2=Decimal(str(round(area * ratio, 2))),
                                    invested_wan=(total * Decimal(str(round(rng.uniform(0.05, 0.2), 3)))).quantize(
                                        Decimal("0.01")),
                                    suspended_since=day(start + timedelta(days=60), T - timedelta(days=366)))
                state = "under_construction"
            elif prof == "under":
                ratio = rng.uniform(0.2, 0.9)
                construction.update(developed_area_m2=Decimal(str(round(area * ratio, 2))),
                                    invested_wan=(total * Decimal(str(round(ratio, 3)))).quantize(Decimal("0.01")))
                if rng.random() < 0.1:  # suspended recently, or long ago with high ratios: still under construction
                    construction["suspended_since"] = day(T - timedelta(days=700), T - timedelta(days=10))
                state = "under_construction"
            else:
                done = start + timedelta(days=rng.randint(365, 3 * 365))
                construction.update(actual_completion=done, developed_area_m2=Decimal(str(area)), invested_wan=total)
                state = "completed"
        contracts.append(contract)
        if construction is not None:
            construction.setdefault("idle_cause", "holder")
            facts.append({"id": len(facts) + 1, "parcel_id": pid, **construction})
        # holders: runs of 1–3 neighbouring parcels held by the same enterprise; 4 % without a holder
        holder = None
        if rng.random() < 0.96:
            if run_left <= 0:
                enterprise_id += 1
                run_left = rng.choice([1, 1, 2, 3])
                enterprises.append({"id": enterprise_id, "name": f"金华市金东区盘地测试{enterprise_id:07d}有限公司",
                                    "township_id": tid, "industry_code": "C34", "industry_name": "通用设备制造业"})
            run_left -= 1
            holder = enterprises[-1]["name"]
            holdings.append({"id": len(holdings) + 1, "parcel_id": pid, "enterprise_id": enterprise_id,
                             "role": "right_holder", "start": contract.get("contract_date"), "is_current": True})
        contract["holder_name"] = holder or ""
        # footprints
        has_fp = rng.random() < FOOTPRINT_SHARE.get(prof, 0.0)
        if has_fp:
            for b in footprints(ground[i], rng, rng.uniform(0.25, 0.55)):
                buildings.append((pid, b))
                fp_count += 1
        cd = contract.get("contract_date")
        parcels.append({
            "id": pid, "code": f"S{pid:07d}", "township_id": tid, "land_use": land_use, "land_use_code": code,
            "area_m2": Decimal(str(area)), "area_source": "geometry", "geometry": texts[i],
            "min_lon": bounds[i, 0], "min_lat": bounds[i, 1], "max_lon": bounds[i, 2], "max_lat": bounds[i, 3],
            "centroid_lon": float(cx[i]), "centroid_lat": float(cy[i]), "state": state, "state_as_of": T,
            "buildings_surveyed": prof == "completed" and not has_fp and rng.random() < 0.3,
            "supply_year": cd.year if cd else None, "holder_names": holder or "", "name": f"测试地块{pid}"})
        if pid % 100000 == 0:
            print(f"  facts for {pid:,} parcels ({time.perf_counter() - started:.0f} s)", flush=True)
    b_ground = np.array([b for _, b in buildings], dtype=object)
    b_ll = lonlat(b_ground) if len(b_ground) else b_ground
    b_bounds = shapely.bounds(b_ll) if len(b_ll) else np.zeros((0, 4))
    b_texts = shapely.to_geojson(b_ll) if len(b_ll) else []
    b_areas = shapely.area(b_ground) if len(b_ground) else []
    rows_b = [{"id": k + 1, "parcel_id": pid, "geometry": b_texts[k],
               "footprint_m2": Decimal(str(round(float(b_areas[k]), 2))), "surveyed": True, "storeys": 2,
               "min_lon": b_bounds[k, 0], "min_lat": b_bounds[k, 1], "max_lon": b_bounds[k, 2],
               "max_lat": b_bounds[k, 3]} for k, (pid, _) in enumerate(buildings)]
    print(f"  {n:,} parcels, {len(enterprises):,} enterprises, {len(facts):,} construction records, "
          f"{fp_count:,} footprints generated ({time.perf_counter() - started:.0f} s); writing …", flush=True)
    w = Writer()
    with transaction.atomic():
        for model, rows in ((Parcel, parcels), (Enterprise, enterprises), (SupplyContract, contracts),
                            (ConstructionFacts, facts), (Holding, holdings), (Building, rows_b)):
            t = time.perf_counter()
            w.insert(model, rows)
            print(f"  {model.__name__}: {len(rows):,} rows in {time.perf_counter() - t:.1f} s", flush=True)
        Campaign.objects.create(**{**CAMPAIGN, "code": CAMPAIGN_CODE, "is_current": True})
    if kind == "postgres":
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)


def _has_postgis() -> bool:
    return psql("select count(*) from pg_available_extensions where name='postgis'") == "1"


# --- the measurement -----------------------------------------------------------------------------

def _clear_runs() -> None:
    """Earlier benchmark runs out of the way (their results would slow nothing, but lists would be refreshed
    instead of created)."""
    from django.db import connection, transaction

    from pandi.screening.models import InventoryEntry, InventoryList, ScreeningResult, ScreeningRun, VacantBlock

    tables = [InventoryEntry.parcels.through, InventoryEntry, InventoryList, VacantBlock.parcels.through,
              VacantBlock, ScreeningResult, ScreeningRun]
    from pandi.screening.models import WorkPlanItem, WorkPlanTarget

    with transaction.atomic(), connection.cursor() as cur:
        for m in [WorkPlanItem, WorkPlanTarget, *tables]:
            cur.execute(f"DELETE FROM {m._meta.db_table}")


def measure(kind: str, n: int, postgis: bool, lists: bool = True) -> dict:
    django_setup(kind, n)
    from pandi.accounts.models import User
    from pandi.domain.screening import ScreeningParams
    from pandi.screening import engine, services

    _clear_runs()
    user = User.objects.get(username=USER)
    stages: dict[str, float] = {}
    marks = {"读取宗地": "load", "判定状态": "status", "读取图形": "load_geometry", "连片空闲地块": "vacant"}

    def progress(stage: str, done: int, total: int) -> None:
        if stage in marks and done == total:
            stages[marks[stage]] = peak_mb()

    base = peak_mb()
    outcome = engine.screen(as_of=AS_OF, params=ScreeningParams(), progress=progress)
    stages["screen"] = peak_mb()
    t = time.perf_counter()
    run = services.run_save(outcome=outcome, user=user, source="bench")
    save_s = time.perf_counter() - t
    stages["save"] = peak_mb()
    t = time.perf_counter()
    proposed = services.lists_propose(run=run, user=user) if lists else []
    lists_s = time.perf_counter() - t
    stages["lists"] = peak_mb()
    tm = outcome.timings
    rows = [("load", tm["load"], stages.get("load")), ("status", tm["status"], stages.get("status")),
            ("load_geometry", tm["load_geometry"], stages.get("load_geometry")),
            ("vacant", tm["vacant"], stages.get("vacant")),
            ("assemble", tm["total"] - tm["load"] - tm["status"] - tm["load_geometry"] - tm["vacant"],
             stages["screen"]),
            ("screen total", tm["total"], stages["screen"]), ("save (run_save)", save_s, stages["save"]),
            *([("lists (lists_propose)", lists_s, stages["lists"])] if lists else []),
            ("TOTAL", tm["total"] + save_s + lists_s, stages["lists"])]
    counts = run.counts
    result = {
        "bench": "screening", "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores", "python": platform.python_version(),
        "n": n, "db": kind, "as_of": AS_OF.isoformat(), "startup_rss_mb": round(base, 1),
        "stages": [{"stage": s, "seconds": round(v, 2), "peak_rss_mb": round(m, 1) if m else None}
                   for s, v, m in rows],
        "by_status": counts["by_status"], "district_list": counts["district_list"],
        "blocks_listed": counts["blocks"], "vacant_unknown": counts["vacant_unknown"],
        "not_yet_supplied": counts["not_yet_supplied"], "lists": len(proposed),
        "entries": sum(lst.entries.count() for lst in proposed),
    }
    if postgis:
        result["postgis"] = postgis_blocks(outcome)
    return result


def postgis_blocks(outcome) -> dict:
    """The same vacant-block computation in PostGIS, on the same eligible, counted parcels."""
    import numpy as np
    from django.db import connection

    from pandi.domain.screening import NEEDS_SURVEY_STATUSES, vacant_eligible

    unknown = set(outcome.unknown_vacant)
    ids = [pk for p, r, pk in zip(outcome.parcels, outcome.results, outcome.pks, strict=True)
           if vacant_eligible(p, r) and p.code not in unknown]
    del NEEDS_SURVEY_STATUSES
    tol = outcome.params.contiguity_tolerance_m
    min_m2 = float(outcome.params.township_min_mu) * 10000 / 15
    sql = """
    CREATE TEMP TABLE pg_ids (id bigint PRIMARY KEY);
    """
    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        cur.execute("DROP TABLE IF EXISTS pg_ids")
        cur.execute(sql)
        with cur.cursor.copy("COPY pg_ids (id) FROM STDIN") as copy:
            for i in ids:
                copy.write_row((i,))
        cur.execute("ANALYZE pg_ids")
        t = time.perf_counter()
        cur.execute(f"""
        WITH p AS (
          SELECT p.id, ST_MakeValid(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(p.geometry::text), 4490), 4549)) g
          FROM land_parcel p JOIN pg_ids USING (id) WHERE p.geometry IS NOT NULL),
        b AS (
          SELECT b.parcel_id id,
                 ST_Union(ST_MakeValid(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(b.geometry::text), 4490), 4549))) g
          FROM land_building b JOIN pg_ids ON pg_ids.id = b.parcel_id GROUP BY b.parcel_id),
        v AS (
          SELECT p.id, CASE WHEN b.g IS NULL THEN p.g ELSE ST_Difference(p.g, b.g) END g
          FROM p LEFT JOIN b USING (id)),
        pieces AS (
          SELECT id, (ST_Dump(g)).geom g FROM v),
        kept AS (
          SELECT id, g FROM pieces WHERE GeometryType(g) = 'POLYGON' AND ST_Area(g) >= 0.01),
        c AS (
          SELECT id, g, ST_ClusterDBSCAN(g, eps := {tol}, minpoints := 1) OVER () k FROM kept),
        blocks AS (
          SELECT k, ST_Area(ST_Union(g)) area, count(DISTINCT id) parcels FROM c GROUP BY k)
        SELECT count(*), count(*) FILTER (WHERE round(area::numeric, 2) >= {min_m2:.2f}),
               coalesce(sum(area) FILTER (WHERE round(area::numeric, 2) >= {min_m2:.2f}), 0)
        FROM blocks
        """)
        n_blocks, n_listed, listed_m2 = cur.fetchone()
        seconds = time.perf_counter() - t
    engine_s = outcome.timings["load_geometry"] + outcome.timings["vacant"]
    ours_m2 = float(np.sum([b.area_m2 for b in outcome.blocks]))
    return {"seconds": round(seconds, 2), "engine_seconds": round(engine_s, 2),
            "ratio_postgis_to_engine": round(seconds / engine_s, 2) if engine_s else None,
            "blocks_all": n_blocks, "blocks_listed": n_listed, "listed_m2": round(float(listed_m2), 1),
            "engine_blocks_listed": len(outcome.blocks), "engine_listed_m2": round(ours_m2, 1)}


def table(result: dict) -> str:
    lines = [f"screening, {result['n']:,} parcels, {result['db']} (as of {result['as_of']}; "
             f"startup RSS {result['startup_rss_mb']} MB)",
             f"{'stage':<24}{'seconds':>10}{'peak RSS MB':>14}"]
    for s in result["stages"]:
        lines.append(f"{s['stage']:<24}{s['seconds']:>10.2f}{(s['peak_rss_mb'] or 0):>14.0f}")
    lines.append(f"statuses: {result['by_status']}")
    lines.append(f"district list {result['district_list']:,}; blocks listed {result['blocks_listed']:,}; "
                 f"vacant unknown {result['vacant_unknown']:,}; not yet supplied {result['not_yet_supplied']:,}; "
                 f"{result['lists']} lists, {result['entries']:,} entries")
    if "postgis" in result:
        pg = result["postgis"]
        lines.append(f"PostGIS: {pg['seconds']} s vs engine load_geometry+vacant {pg['engine_seconds']} s "
                     f"(×{pg['ratio_postgis_to_engine']}); listed blocks {pg['blocks_listed']:,} "
                     f"({pg['listed_m2']:,.0f} m²) vs engine {pg['engine_blocks_listed']:,} "
                     f"({pg['engine_listed_m2']:,.0f} m²)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=100000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--skip-generate", action="store_true", help="use the existing database as it is")
    parser.add_argument("--regenerate", action="store_true", help="make the data again even if it exists")
    parser.add_argument("--postgis", action="store_true", help="also time the vacant blocks in PostGIS")
    parser.add_argument("--skip-lists", action="store_true", help="do not time lists_propose")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--phase", choices=["generate", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.phase == "generate":
        generate_db(args.db, args.parcels, args.seed)
        return
    if args.phase == "measure":
        result = measure(args.db, args.parcels, args.postgis, not args.skip_lists)
        args.result.write_text(json.dumps(result, ensure_ascii=False))
        return
    me = [sys.executable, str(Path(__file__).resolve()), "--parcels", str(args.parcels), "--db", args.db]
    if not args.skip_generate and (args.regenerate or not _ready(args.db, args.parcels)):
        print(f"generating {args.parcels:,} parcels ({args.db}) …", flush=True)
        subprocess.run([*me, "--phase", "generate", "--seed", str(args.seed)], check=True, cwd=ROOT)
    result_path = OUT / f"screen-{args.parcels}-{args.db}.json"
    subprocess.run([*me, "--phase", "measure", "--result", str(result_path), *(["--postgis"] if args.postgis else []),
                    *(["--skip-lists"] if args.skip_lists else [])],
                   check=True, cwd=ROOT)
    result = json.loads(result_path.read_text())
    with (OUT / "results.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")
    print(table(result), flush=True)


if __name__ == "__main__":
    main()
