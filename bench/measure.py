"""Run one `pandi` command in this process and report its wall time and peak memory as JSON.

    python bench/measure.py RESULT.json import parcels FILE --user bench
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main() -> None:
    result_path, *argv = sys.argv[1:]
    from pandi.__main__ import main as pandi_main

    started = time.perf_counter()
    status = 0
    try:
        pandi_main(["pandi", *argv])
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump({"command": argv, "seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb, 1),
                   "status": status}, f)
    sys.exit(status)


if __name__ == "__main__":
    main()
