"""Whole studies, each in a fresh process as a user runs them, against a reference.

Variants, alternated ``--repeats`` times and timed as wall clock of the whole process
(imports, compilation from a warm persistent cache, training, outputs; no figures):

* ``bayesgrok``: ``bayesgrok run STUDY --no-figures`` with this checkout;
* ``ref``: the same with the code of an earlier commit (``--ref REF``, checked out into a
  temporary git worktree), to measure a change side by side;
* ``lean``: a lean script doing the same work without the library (``--lean``; for A5,
  ``benchmarks/lean/a5_gp_landscape.py``, one ``jit`` for all three starts);
* ``group off``: this checkout with the study's grouping of sweep points turned off
  (``--group-off``: a copy of the study with ``[execution] group = false``);
* ``dask N``: this checkout (and the earlier commit, with ``--ref``) with
  ``--executor dask --workers N`` (``--dask-workers N``): N runs at once in worker processes.
* ``jobs N``: this checkout with ``--jobs N`` (``--jobs N``): N runs at once in threads of
  one process.

The first round warms the compilation cache and is not counted (``--no-warmup`` counts
every round: for long studies, whose compilation is a small part). Prints medians and the
ratios to ``bayesgrok``'s time.

    .venv/bin/python benchmarks/bench_studies.py --ref HEAD~3
    .venv/bin/python benchmarks/bench_studies.py --study benchmarks/studies/a6_short.toml \
        --ref HEAD~3
    .venv/bin/python benchmarks/bench_studies.py --study studies/miller_bnn.toml \
        --ref 1e737c5 --ref-own-study --jobs 2 --dask-workers 2 --repeats 1 --no-warmup
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

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "bayesgrok"
LEAN = {"miller_gp_landscape": ROOT / "benchmarks" / "lean" / "a5_gp_landscape.py"}


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="studies/miller_gp_landscape.toml")
    parser.add_argument("--ref", help="an earlier commit to compare with")
    parser.add_argument("--no-lean", action="store_true", help="skip the lean script")
    parser.add_argument("--group-off", action="store_true",
                        help="also time the study with grouping off")
    parser.add_argument("--ref-own-study", action="store_true",
                        help="run the earlier commit with its own copy of the study file "
                             "(one it can read: an older schema)")
    parser.add_argument("--dask-workers", type=int, metavar="N",
                        help="also time --executor dask --workers N")
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="also time this checkout with --jobs N")
    parser.add_argument("--no-warmup", action="store_true",
                        help="count the first round too (no round only to fill the cache)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    env = {**os.environ, "BAYESGROK_JAX_CACHE": str(work / "cache")}
    variants: dict[str, tuple[list[str], dict[str, str]]] = {}

    def study(out: str, file: str | Path = args.study) -> list[str]:
        return [str(BIN), "run", str(file), "--out", str(work / out), "--no-figures"]

    variants["bayesgrok"] = (study("now"), {**env, "PYTHONPATH": str(ROOT)})
    if args.ref:
        tree = work / "ref"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(tree), args.ref],
                       cwd=ROOT, check=True)
        file = tree / args.study if args.ref_own_study else args.study
        variants[f"ref {args.ref}"] = (study("ref", file), {**env, "PYTHONPATH": str(tree)})
    plain = list(variants.items())
    if args.jobs:
        variants[f"bayesgrok jobs {args.jobs}"] = (
            [*study("jobs"), "--jobs", str(args.jobs)], {**env, "PYTHONPATH": str(ROOT)})
    if args.dask_workers:
        dask = ["--executor", "dask", "--workers", str(args.dask_workers)]
        for name, (command, variant_env) in plain:
            out = command.index("--out") + 1
            variants[f"{name} dask {args.dask_workers}"] = (
                [*command[:out], f"{command[out]}-dask", *command[out + 1:], *dask],
                variant_env)
    if args.group_off:
        text = (ROOT / args.study).read_text()
        if "[execution]" in text:
            raise SystemExit(f"{args.study} has its own [execution] table: edit it instead")
        off = work / Path(args.study).name
        off.write_text(text + "\n[execution]\ngroup = false\n")
        variants["group off"] = ([str(BIN), "run", str(off), "--out", str(work / "off"),
                                  "--no-figures"], {**env, "PYTHONPATH": str(ROOT)})
    lean = LEAN.get(Path(args.study).stem)
    if lean is not None and not args.no_lean:
        variants["lean"] = ([sys.executable, str(lean)], env)
    times: dict[str, list[float]] = {name: [] for name in variants}
    try:
        first = 1 if args.no_warmup else 0
        for r in range(first, args.repeats + 1):
            for name, (command, variant_env) in variants.items():
                if "--out" in command:  # a fresh folder each time: nothing is reused
                    at = command.index("--out") + 1
                    command = [*command[:at], f"{command[at]}{r}", *command[at + 1:]]
                seconds = timed(command, variant_env)
                if r:  # round 0 fills the compilation cache
                    times[name].append(seconds)
    finally:
        if args.ref:
            subprocess.run(["git", "worktree", "remove", "--force", str(work / "ref")],
                           cwd=ROOT, check=False)
        shutil.rmtree(work, ignore_errors=True)
    base = statistics.median(times["bayesgrok"])
    cache = "the first with a cold cache" if args.no_warmup else "warm cache"
    print(f"{args.study}: median of {args.repeats} fresh processes each ({cache})")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:22s} {med:7.1f} s   {med / base:5.2f}x the time of bayesgrok")


if __name__ == "__main__":
    main()
