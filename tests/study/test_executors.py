"""Executors and fault tolerance, with real processes: nothing here is mocked.

A Dask cluster of worker processes, a study process killed with SIGKILL, a worker killed
mid-run, a run that raises, seeds that diverge, a truncated run file and a run file from
another configuration.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bayesgrok import trajectory
from bayesgrok.cli import app
from bayesgrok.study import store
from bayesgrok.study.executors import DaskExecutor
from bayesgrok.study.resolve import load_study
from bayesgrok.study.runner import run_study

distributed = pytest.importorskip("distributed")

# Four linear runs (JAX): A1's model, two learning rates x fail or not (a family named by
# its dotted path, tests/study/breakable_family.py, whose runs with fail = true raise in the
# engine), and one learning rate diverges.
MIXED = """
name = "mixed"
[task]
name = "linear_sign"
[model]
family = "breakable_family:Breakable"
[search]
optimizer = "sgd"
optimizer_args = {{ learning_rate = 1e-3 }}
epochs = {epochs}
batch_size = "full"
log = {{ every = 50 }}
[sweep]
seeds = [0, 1]
[sweep.grid]
"search.optimizer_args.learning_rate" = [1e-3, 5.0]
"model.fail" = [false, true]
"""

# MLP runs (PyTorch), each long enough (about a second) to be killed in the middle: one
# seed, trained in the engine's per-seed loop (two seeds of this small net train 1.8x
# slower stacked with torch.func than one after another; benchmarks/bench_torch_engine.py).
SLOW = """
name = "slow"
[task]
name = "parity"
n_points = 200
n_train = 100
n_spurious = 4
[model]
family = "mlp"
widths = [64, 64]
loss = "cross_entropy"
[search]
optimizer = "sgd"
optimizer_args = {{ learning_rate = 0.05 }}
steps = {steps}
batch_size = 16
log = {{ every = 500 }}
[sweep]
seeds = [0]
grid = {{ "model.alpha" = {alphas} }}
"""


def _values(path: Path) -> dict[str, np.ndarray]:
    ds = trajectory.read(path, study=True)
    return {name: ds[name].values for name in ("error", "objective", "val_error",
                                               "train_accuracy", "val_accuracy", "status")}


def _run_files(out: Path) -> set[str]:
    return {p.name for p in (out / "runs").glob("*.nc")}


def test_dask_cluster_gives_the_same_study_as_the_local_executor(write_study, tmp_path):
    path = write_study(MIXED.format(epochs=400))
    local = run_study(path, tmp_path / "local", figures=False)
    executor = DaskExecutor(workers=2)
    dask = run_study(path, tmp_path / "dask", figures=False, executor=executor)
    assert executor.dashboard_link  # printed by the CLI
    assert sorted(dask.computed) == sorted(local.computed) and len(local.computed) == 2
    assert sorted(dask.failed) == sorted(local.failed) and len(local.failed) == 2
    a, b = _values(tmp_path / "local" / "study.nc"), _values(tmp_path / "dask" / "study.nc")
    for name in a:
        if a[name].dtype.kind == "f":
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
        else:
            assert a[name].tolist() == b[name].tolist(), name
    assert (tmp_path / "dask" / "summary.csv").read_text().count("failed") == 4


def test_failing_run_and_diverging_seeds_are_recorded_while_the_rest_complete(
        write_study, tmp_path):
    path = write_study(MIXED.format(epochs=400))
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--no-figures"])
    assert result.exit_code == 1, result.output  # non-zero: two runs failed
    assert "2 of 4 runs failed" in result.output
    ds = trajectory.read(out / "study.nc", study=True)
    status = ds["status"].to_pandas()
    lr = ds["learning_rate"].to_pandas()
    bad = ds["fail"].to_pandas().astype(bool)
    assert (status[bad] == "failed").all(axis=None)
    assert (status[~bad & (lr == 5.0)] == "diverged").all(axis=None)
    assert (status[~bad & (lr == 1e-3)] == "ok").all(axis=None)
    good_run = status[~bad & (lr == 1e-3)].index[0]
    assert np.isfinite(ds["val_accuracy"].sel(run=good_run)).all()
    table = pd.read_csv(out / "summary.csv")
    assert sorted(table["status"].unique()) == ["diverged", "failed", "ok"]
    assert table[table["status"] == "failed"]["traceback"].str.contains("Traceback").all()
    shown = runner.invoke(app, ["show", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "2 run(s) failed" in shown.output and "seed(s) diverged" in shown.output


def test_truncated_run_file_is_detected_and_recomputed(write_study, tmp_path):
    path = write_study(MIXED.format(epochs=100))
    out = tmp_path / "out"
    first = run_study(path, out, figures=False)
    victim = store.run_path(out, first.computed[0])
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    second = run_study(path, out, figures=False)
    assert second.recomputed == [first.computed[0]]
    assert second.computed == [first.computed[0]]
    assert second.reused == first.computed[1:]
    trajectory.read(victim)  # valid again


def test_finished_run_from_another_configuration_is_refused_unless_forced(
        write_study, tmp_path):
    path = write_study(MIXED.format(epochs=100))
    out = tmp_path / "out"
    first = run_study(path, out, figures=False)
    victim = store.run_path(out, first.computed[0])
    ds = trajectory.read(victim).load()
    config = json.loads(ds.attrs["config"])
    config["search"]["epochs"] = 12345
    ds.attrs["config"] = json.dumps(config)
    trajectory.write(ds, victim)
    before = victim.read_bytes()
    runner = CliRunner()
    refused = runner.invoke(app, ["run", str(path), "--out", str(out), "--no-figures"])
    assert refused.exit_code == 2, refused.output
    assert "different configuration" in refused.output and "--force" in refused.output
    assert victim.read_bytes() == before  # nothing overwritten
    forced = runner.invoke(app, ["run", str(path), "--out", str(out), "--no-figures",
                                 "--force"])
    assert forced.exit_code == 1, forced.output  # the two runs that raise still fail
    assert json.loads(trajectory.read(victim).attrs["config"])["search"]["epochs"] == 100


def test_study_killed_midway_resumes_with_exactly_the_missing_runs(write_study, tmp_path):
    path = write_study(SLOW.format(steps=2000, alphas=[0.5, 1.0, 1.5, 2.0]))
    out = tmp_path / "out"
    code = "import sys; from bayesgrok.cli import app; sys.argv[0] = 'bayesgrok'; app()"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code, "run", str(path), "--out", str(out),
                             "--no-figures"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    try:
        while not _run_files(out) and proc.poll() is None:
            assert time.monotonic() < deadline, "no run finished in 120 s"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = _run_files(out)
    assert 1 <= len(done) < 4  # killed midway
    for name in done:  # every run file there is complete and valid
        trajectory.read(out / "runs" / name)
    assert not (out / "study.nc").exists()
    result = run_study(path, out, figures=False)
    ids = [r.run_id for r in load_study(path).runs]
    assert sorted(result.reused) == sorted(n[: -len(".nc")] for n in done)
    assert sorted(result.computed) == sorted(set(ids) - set(result.reused))
    assert not result.failed and not list((out / "runs").glob(".*.tmp"))
    assert set(result.dataset["status"].values.ravel()) == {"ok"}


def _kill_a_busy_worker(address: str, killed: list[str]) -> None:
    """SIGKILL the first worker that is computing a run, half a second into it; note its
    task in ``killed``."""
    with distributed.Client(address, timeout="30s", set_as_default=False) as client:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            busy = {w: keys for w, keys in client.processing().items() if keys}
            if busy:
                worker, keys = next(iter(busy.items()))
                time.sleep(0.5)  # let it get into the run
                if worker not in client.processing():
                    continue
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)
                killed.append(str(keys[0]))
                return
            time.sleep(0.05)


def test_worker_killed_during_a_run_has_the_run_retried(write_study, tmp_path):
    path = write_study(SLOW.format(steps=3000, alphas=[0.5, 1.0, 1.5]))
    out = tmp_path / "out"
    killed: list[str] = []

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=50) as cluster:
        killer = threading.Thread(target=_kill_a_busy_worker,
                                  args=(cluster.scheduler_address, killed))
        killer.start()
        result = run_study(path, out, figures=False,
                           executor=DaskExecutor(scheduler=cluster.scheduler_address))
        killer.join()
    assert killed, "no worker was killed"
    assert not result.failed
    assert len(result.computed) == 3  # including the run whose worker was killed
    assert set(result.dataset["status"].values.ravel()) == {"ok"}
    for name in _run_files(out):
        trajectory.read(out / "runs" / name)


def test_runs_queued_behind_a_killed_worker_are_not_blamed(write_study, tmp_path):
    """With no retries allowed, the run whose worker dies fails; the runs that never started
    are not counted against it (at most one task per worker thread is in flight)."""
    import dask

    path = write_study(SLOW.format(steps=3000, alphas=[0.5, 1.0, 1.5]))
    out = tmp_path / "out"
    killed: list[str] = []

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address=":0", silence_logs=50) as cluster:
        killer = threading.Thread(target=_kill_a_busy_worker,
                                  args=(cluster.scheduler_address, killed))
        killer.start()
        result = run_study(path, out, figures=False,
                           executor=DaskExecutor(scheduler=cluster.scheduler_address))
        killer.join()
    assert killed, "no worker was killed"
    assert len(result.failed) == 1 and "KilledWorker" in next(iter(result.failed.values()))
    assert len(result.computed) == 2  # the two runs queued behind it
