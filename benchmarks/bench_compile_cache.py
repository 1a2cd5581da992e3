"""Whole studies with JAX's persistent compilation cache off, cold and warm.

Each variant runs the study in a fresh process (``bayesgrok run --no-figures``, as a user
would, imports included), alternating the variants ``--repeats`` times: ``off``
(``BAYESGROK_JAX_CACHE=off``), ``cold`` (an empty cache folder: programs that repeat
within the study, such as A5's three starts, are loaded after their first compilation)
and ``warm`` (the folder the cold run filled: a second run of the study, or a Dask worker
after another). The trajectories of the three are compared bit for bit. Prints the median
wall times and their ratios against ``off``.

    .venv/bin/python benchmarks/bench_compile_cache.py [--study studies/miller_gp_landscape.toml]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import xarray as xr

BIN = Path(sys.executable).parent / "bayesgrok"


def run(study: str, out: Path, cache: str) -> float:
    env = {**os.environ, "BAYESGROK_JAX_CACHE": cache}
    started = time.perf_counter()
    subprocess.run([str(BIN), "run", study, "--out", str(out), "--no-figures"], env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="studies/miller_gp_landscape.toml")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    times: dict[str, list[float]] = {"off": [], "cold": [], "warm": []}
    for r in range(args.repeats):
        cache = work / f"cache{r}"
        times["off"].append(run(args.study, work / f"off{r}", "off"))
        times["cold"].append(run(args.study, work / f"cold{r}", str(cache)))
        times["warm"].append(run(args.study, work / f"warm{r}", str(cache)))
    ref = xr.load_dataset(work / "off0" / "study.nc").drop_vars("wall_time_s")
    for name in ("cold0", "warm0"):
        other = xr.load_dataset(work / name / "study.nc").drop_vars("wall_time_s")
        xr.testing.assert_equal(ref, other)  # the cache never changes a result
    base = statistics.median(times["off"])
    print(f"{args.study}: median of {args.repeats} fresh processes each")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:5s} {med:7.1f} s   {base / med:5.2f}x against off")
    print("  trajectories identical (off, cold, warm)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
