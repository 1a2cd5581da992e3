"""Long runs that resume mid-run, and studies that end cleanly (issue 21): checkpoints in
both engines (a killed process resumes from its last one and gives the uninterrupted
trajectory bit for bit), Ctrl-C, a full disk and a stale lock file."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bayesgrok import trajectory
from bayesgrok.search.checkpoint import Checkpoint
from bayesgrok.search.config import SearchConfig
from bayesgrok.study.runner import run_study
from bayesgrok.tasks import make_task

BAYESGROK = [sys.executable, "-m", "bayesgrok.cli"]

JAX_STUDY = """
name = "long_jax"
[task]
name = "linear_sign"
[model]
card = "miller_linear"
[search]
optimizer = "sgd"
optimizer_args = {{ learning_rate = 1e-3 }}
steps = {steps}
log = {{ every = 20000 }}
checkpoint_every = {every}
[sweep]
seeds = [0, 1]
grid = {{ "model.complexity_weight" = [1.0, 0.0] }}
"""

TORCH_STUDY = """
name = "long_torch"
[task]
name = "parity"
n_points = 60
n_train = 40
[model]
card = "omnigrok_mlp"
widths = [8]
[search]
optimizer = "adamw"
optimizer_args = {{ lr = 1e-2, weight_decay = 0.1 }}
steps = {steps}
batch_size = 8
log = {{ every = 250 }}
checkpoint_every = {every}
[sweep]
seeds = [0, 1]
"""


def _same_data(a, b) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        x, y = a[name].values, b[name].values
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), name
        else:
            assert (x == y).all(), name


class _Stop(Exception):
    pass


def _interrupted(run, checkpoint: Checkpoint):
    """Run until the checkpoint file appears, then stop (as a kill would)."""
    def progress(_: int) -> None:
        if checkpoint.path.exists():
            raise _Stop

    with pytest.raises(_Stop):
        run(checkpoint=checkpoint, progress=progress)


def test_a_jax_run_resumed_from_its_checkpoint_is_the_uninterrupted_run(tmp_path):
    from bayesgrok.families.linear import LinearRegression
    from bayesgrok.search import jax_engine

    splits = [make_task("linear_sign", seed=s) for s in (0, 1)]
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3}, steps=3000,
                       log={"every": 7})

    def run(**kw):
        return jax_engine.run(LinearRegression(), splits, cfg, **kw)

    path = tmp_path / "run.checkpoint"
    _interrupted(run, Checkpoint(path, "fp", every_steps=1000))
    resumed = run(checkpoint=Checkpoint(path, "fp", every_steps=1000))
    assert resumed.attrs["resumed_at_step"] == 1024  # the first segment end past 1000
    _same_data(run(), resumed)
    # a checkpoint of another run is not used
    other = run(checkpoint=Checkpoint(path, "another run", every_steps=10**6))
    assert "resumed_at_step" not in other.attrs


@pytest.mark.parametrize("n_seeds", [1, 3], ids=["loop", "batched"])
def test_a_torch_run_resumed_from_its_checkpoint_is_the_uninterrupted_run(tmp_path, n_seeds):
    from bayesgrok.families.mlp import MLP
    from bayesgrok.search import torch_engine

    splits = [make_task("parity", seed=s, n_points=60, n_train=40) for s in range(n_seeds)]
    cfg = SearchConfig(optimizer="adamw", optimizer_args={"lr": 1e-2, "weight_decay": 0.1},
                       steps=600, batch_size=7, log={"every": 13})

    def run(**kw):
        return torch_engine.run(MLP(widths=[8]), splits, cfg, **kw)

    path = tmp_path / "run.checkpoint"
    _interrupted(run, Checkpoint(path, "fp", every_steps=200))
    resumed = run(checkpoint=Checkpoint(path, "fp", every_steps=200))
    assert resumed.attrs["resumed_at_step"] == 208  # the first logged step past 200
    _same_data(run(), resumed)


def test_a_torch_run_with_a_training_method_resumes_exactly(tmp_path):
    from bayesgrok.families.transformer import Transformer
    from bayesgrok.search import torch_engine

    splits = [make_task("modular_pairs", seed=0, p=7, train_fraction=0.5)]
    cfg = SearchConfig(optimizer="adamw", optimizer_args={"lr": 1e-3}, steps=60,
                       log={"every": 5}, perturbation={"l1": 0.5, "l2": 0.1},
                       commutativity_penalty=1.0)

    def run(**kw):
        return torch_engine.run(Transformer(d_model=8, n_heads=2, d_mlp=16), splits, cfg, **kw)

    path = tmp_path / "run.checkpoint"
    _interrupted(run, Checkpoint(path, "fp", every_steps=20))
    resumed = run(checkpoint=Checkpoint(path, "fp", every_steps=20))
    assert resumed.attrs["resumed_at_step"] == 20
    _same_data(run(), resumed)


def _as_from_a_terminal() -> None:
    """In the child before ``exec``: SIGINT handled and not blocked, as in a terminal.

    A child inherits its parent's ignored signals and signal mask; a pytest-xdist worker
    that an earlier test left with SIGINT ignored or blocked would otherwise start a
    ``bayesgrok`` that never sees the Ctrl-C (Python keeps an ignored SIGINT ignored).
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


# ``bayesgrok`` in a child that sends itself a signal right after writing its first
# checkpoint: the kill lands mid-run on every run, however fast or slow the machine, so the
# runs can be short (waiting for the file to appear raced the run's end instead).
SIGNAL_AT_FIRST_CHECKPOINT = """
import os, sys
from bayesgrok.search.checkpoint import Checkpoint
sig = int(sys.argv.pop(1))

def then_signal(save):
    def saved(self, *args, **kwargs):
        save(self, *args, **kwargs)
        os.kill(os.getpid(), sig)
    return saved

Checkpoint.save_arrays = then_signal(Checkpoint.save_arrays)
Checkpoint.save_torch = then_signal(Checkpoint.save_torch)
from bayesgrok.cli import app
sys.argv[0] = "bayesgrok"
app()
"""


def _kill_at_checkpoint(study: Path, out: Path, sig: int = signal.SIGKILL):
    """Run ``bayesgrok run`` until it has written its first checkpoint, then send ``sig``."""
    done = subprocess.run([sys.executable, "-c", SIGNAL_AT_FIRST_CHECKPOINT, str(int(sig)),
                           "run", str(study), "--out", str(out), "--no-figures"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          preexec_fn=_as_from_a_terminal, timeout=300)
    assert list((out / "runs").glob("*.checkpoint")), done.stdout
    return done.returncode, done.stdout


@pytest.mark.parametrize("kind", ["jax", "torch"])
def test_a_killed_study_resumes_from_its_checkpoint_bit_for_bit(tmp_path, kind):
    text, steps = (JAX_STUDY, 4000) if kind == "jax" else (TORCH_STUDY, 1000)
    study = tmp_path / "s.toml"
    study.write_text(text.format(steps=steps, every=steps // 2))
    out = tmp_path / "out"
    code, _ = _kill_at_checkpoint(study, out)
    assert code == -signal.SIGKILL
    assert not list((out / "runs").glob("*.nc"))  # nothing finished before the kill
    # resumed (in this process: the resuming is the same code; the kill needed a process)
    assert not run_study(study, out, figures=False).failed
    assert not list((out / "runs").glob("*.checkpoint"))  # removed with the run files
    # the same study without checkpoints (the key is not part of the runs' configuration)
    plain = tmp_path / "plain.toml"
    plain.write_text(text.format(steps=steps, every=0))
    assert not run_study(plain, tmp_path / "plain", figures=False).failed
    files = sorted((out / "runs").glob("*.nc"))
    assert [p.name for p in files] == sorted(p.name for p in (tmp_path / "plain/runs").glob(
        "*.nc"))
    resumed_at = []
    for path in files:
        resumed = trajectory.read(path)
        resumed_at.append(resumed.attrs.get("resumed_at_step"))
        _same_data(trajectory.read(tmp_path / "plain/runs" / path.name), resumed)
    assert any(at is not None and at >= steps // 2 for at in resumed_at)  # killed, resumed


def test_ctrl_c_names_the_finished_runs_and_says_the_same_command_resumes(tmp_path):
    study = tmp_path / "s.toml"
    study.write_text(TORCH_STUDY.format(steps=1000, every=500))
    code, output = _kill_at_checkpoint(study, tmp_path / "out", signal.SIGINT)
    assert code == 130, output
    assert "interrupted: 0 run(s) finished" in output
    assert "the same command resumes" in output and "Traceback" not in output
    assert list((tmp_path / "out/runs").glob("*.checkpoint"))  # kept for the resume


def _ctrl_c_turned_into_an_error(*args, **kwargs):
    """What ``torch.func.vmap`` sometimes does when a Ctrl-C lands as it unwinds."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise RuntimeError("!dynamicLayerStack.empty() INTERNAL ASSERT FAILED")  # noqa: B904


@pytest.mark.parametrize("together", [False, True])
def test_a_ctrl_c_that_a_library_turned_into_an_error_is_an_interrupt_not_a_failure(
        tmp_path, monkeypatch, together):
    from bayesgrok.study import compute
    from bayesgrok.study.resolve import load_study

    study = tmp_path / "s.toml"
    study.write_text(JAX_STUDY.format(steps=100, every=50))
    runs = load_study(study).runs
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    kept = compute.checkpoint_for(runs if together else runs[:1], out).path
    kept.write_bytes(b"an earlier checkpoint")
    monkeypatch.setattr(compute, "execute_group", _ctrl_c_turned_into_an_error)
    monkeypatch.setattr(compute, "execute_with_artifacts", _ctrl_c_turned_into_an_error)
    with pytest.raises(KeyboardInterrupt):
        if together:
            compute.compute_and_store_group(runs, out)
        else:
            compute.compute_and_store(runs[0], out)
    assert not list((out / "runs").glob("*.failed.json"))  # not recorded as failed
    assert kept.read_bytes() == b"an earlier checkpoint"  # kept for the resume


def test_an_empty_lock_left_by_a_dead_writer_is_taken_over(tmp_path):
    from bayesgrok.study.folder import EMPTY_LOCK_GRACE_S, LOCK, locked

    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK).write_text("")
    old = time.time() - EMPTY_LOCK_GRACE_S - 1
    os.utime(out / LOCK, (old, old))
    with locked(out, "s.toml"):
        assert str(os.getpid()) in (out / LOCK).read_text()


@pytest.fixture
def small_disk(tmp_path):
    """A 400 kB tmpfs (the test needs root and mount; skipped otherwise)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)],
                          capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_fails_the_run_keeps_the_finished_ones_and_stops_cleanly(tmp_path,
                                                                             small_disk):
    study = tmp_path / "s.toml"
    study.write_text(JAX_STUDY.format(steps=300, every=0).replace("every = 20000",
                                                                   "every = 50"))
    from bayesgrok.study.folder import LowDiskSpaceWarning

    out = small_disk / "out"
    with pytest.warns(LowDiskSpaceWarning, match="MB free on its disk"):
        assert not run_study(study, out, figures=False).failed
    runs = sorted((out / "runs").glob("*.nc"))
    assert len(runs) == 2
    kept, lost = runs
    lost.unlink()
    for name in ("study.nc", "regions.nc"):
        (out / name).unlink()
    free = shutil.disk_usage(small_disk).free
    (small_disk / "filler").write_bytes(b"\0" * (free - 12 * 1024))  # room for a lock only
    full = subprocess.run([*BAYESGROK, "run", str(study), "--out", str(out), "--no-figures"],
                          capture_output=True, text=True, timeout=300)
    said = full.stdout + full.stderr
    assert full.returncode == 1, said
    assert "the disk is full" in said and "Traceback" not in said
    assert kept.is_file() and trajectory.read(kept).sizes["seed"] == 2  # untouched
    assert not lost.exists() and not list(out.rglob(".*.tmp"))
    (small_disk / "filler").unlink()  # space again: the same study finishes
    with pytest.warns(LowDiskSpaceWarning):
        assert not run_study(study, out, figures=False).failed and lost.is_file()


def test_out_on_a_disk_with_too_little_space_is_warned_before_any_work(tmp_path, monkeypatch):
    import collections

    from bayesgrok.study import folder
    from bayesgrok.study.examples import tiny_study
    from bayesgrok.study.resolve import load_study

    study = load_study(tiny_study(tmp_path))
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(folder.shutil, "disk_usage", lambda _: usage(10**6, 10**6 - 1000, 1000))
    with pytest.warns(folder.LowDiskSpaceWarning, match="MB free on its disk"):
        folder.check_out(tmp_path / "out", "tiny.toml", study)
    assert not (tmp_path / "out").exists()


def test_short_checkpoint_intervals_shorten_jax_segments_and_change_nothing(tmp_path):
    """A run whose 512-step segment takes long (A3: the whole run) can still checkpoint:
    ``checkpoint_every`` below 512 shortens the compiled segments, bit for bit the same."""
    from bayesgrok.families import make_family
    from bayesgrok.search import jax_engine

    splits = [make_task("zero_one", seed=s) for s in (0, 1)]
    cfg = SearchConfig(optimizer="adam", optimizer_args={"learning_rate": 0.01}, steps=120,
                       log={"every": 5})
    family = make_family("gp_classification")
    path = tmp_path / "run.checkpoint"
    _interrupted(lambda **kw: jax_engine.run(family, splits, cfg, **kw),
                 Checkpoint(path, "fp", every_steps=37))
    resumed = jax_engine.run(family, splits, cfg, checkpoint=Checkpoint(path, "fp",
                                                                        every_steps=37))
    assert resumed.attrs["resumed_at_step"] == 37
    _same_data(jax_engine.run(family, splits, cfg), resumed)
