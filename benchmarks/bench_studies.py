"""Whole studies, each in a fresh process as a user runs them, against a reference.

Variants, alternated ``--repeats`` times and timed as wall clock of the whole process
(imports, compilation from a warm persistent cache, training, outputs; no figures):

* ``bayesgrok``: ``bayesgrok run STUDY --no-figures`` with this checkout;
* ``ref``: the same with the code of an earlier commit (``--ref REF``, checked out into a
  temporary git worktree), to measure a change side by side;
* ``lean``: a lean script doing the same work without the library (``--lean``; for A5,
  ``benchmarks/lean/a5_gp_landscape.py``, one ``jit`` for all three starts);
* ``group off``: this checkout with the study's grouping of sweep points turned off
  (``--group-off``: a copy of the study with ``[execution] group = false``).

The first round warms the compilation cache and is not counted. Prints medians and the
ratios to ``bayesgrok``'s time.

    .venv/bin/python benchmarks/bench_studies.py --ref HEAD~3
    .venv/bin/python benchmarks/bench_studies.py --study benchmarks/studies/a6_short.toml \
        --ref HEAD~3
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
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    env = {**os.environ, "BAYESGROK_JAX_CACHE": str(work / "cache")}
    variants: dict[str, tuple[list[str], dict[str, str]]] = {}

    def study(out: str) -> list[str]:
        return [str(BIN), "run", args.study, "--out", str(work / out), "--no-figures"]

    variants["bayesgrok"] = (study("now"), {**env, "PYTHONPATH": str(ROOT)})
    if args.ref:
        tree = work / "ref"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(tree), args.ref],
                       cwd=ROOT, check=True)
        variants[f"ref {args.ref}"] = (study("ref"), {**env, "PYTHONPATH": str(tree)})
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
        for r in range(args.repeats + 1):
            for name, (command, variant_env) in variants.items():
                if "--out" in command:  # a fresh folder each time: nothing is reused
                    at = command.index("--out") + 1
                    command = [*command[:at], f"{command[at]}{r}", *command[at + 1:]]
                seconds = timed(command, variant_env)
                if r:  # the first round fills the compilation cache
                    times[name].append(seconds)
    finally:
        if args.ref:
            subprocess.run(["git", "worktree", "remove", "--force", str(work / "ref")],
                           cwd=ROOT, check=False)
        shutil.rmtree(work, ignore_errors=True)
    base = statistics.median(times["bayesgrok"])
    print(f"{args.study}: median of {args.repeats} fresh processes each (warm cache)")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:16s} {med:7.1f} s   {med / base:5.2f}x the time of bayesgrok")


if __name__ == "__main__":
    main()
