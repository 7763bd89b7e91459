"""Benchmark: import GV-ISys 2021 + VG5000 2021 + Zensus 2022 for all Germany into one workspace.

Target (issue 3): at most 20 s on the project machine (2 cores). Prints the time of every step,
the total, its ratio to the target and the peak resident memory of the process.

    python benchmarks/import_germany.py [DATA_DIR]

DATA_DIR defaults to ``$REGIOWERK_DATA`` or ``../shared/data`` next to the repository.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from regiowerk.importing import import_files, merge_into, open_or_create_collection
from regiowerk.sources.base import ImportResult

TARGET_SECONDS = 20.0
REPO = Path(__file__).resolve().parents[1]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    default = Path(os.environ.get("REGIOWERK_DATA", REPO.parent / "shared" / "data"))
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    if not data.is_dir():
        print(f"Real data not found at {data}; nothing to measure.")
        return 0
    steps: list[tuple[str, str, list[Path]]] = [
        ("GV-ISys 2021", "gvisys", [data / "gv_auszug" / "31122021_Auszug_GV.csv"]),
        ("VG5000 2021", "vg250", [data / "vg5000_2021" / "VG5000_GEM.shp"]),
        ("Zensus 2022", "zensus2022", [data / "zensus2022_gemeinden" / "1000A-0000_de_flat.csv"]),
    ]
    start = time.perf_counter()
    results: list[ImportResult] = []
    for label, source, paths in steps:
        t0 = time.perf_counter()
        results.extend(import_files(source, paths))
        print(f"read {label:<14} {time.perf_counter() - t0:6.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        workspace = open_or_create_collection(Path(tmp) / "de", results)
        records = merge_into(workspace, results)
        print(f"validate + save     {time.perf_counter() - t0:6.2f} s")
        total = time.perf_counter() - start
        for name, record in records.items():
            print(f"  {name:<22} {record.rows:>8,} rows")
    print(
        f"total               {total:6.2f} s  (target {TARGET_SECONDS:.0f} s, ratio "
        f"{total / TARGET_SECONDS:.2f} of the target)"
    )
    print(f"peak memory (RSS)   {_peak_mib():6.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
