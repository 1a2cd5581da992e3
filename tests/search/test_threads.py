"""Threads: recorded in every trajectory, pinned by a study's ``[search] threads``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax.numpy as jnp
import pytest

from bayesgrok.families.linear import LinearRegression
from bayesgrok.search import jax_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.threads import ThreadPinError, pin_threads, pinned_flags, thread_settings
from bayesgrok.tasks import make_task


def test_pinned_flags_replace_any_thread_setting_and_keep_other_flags():
    assert pinned_flags(1) == "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    flags = "--xla_cpu_multi_thread_eigen=false --xla_dump_to=/tmp/d intra_op_parallelism_threads=1"
    assert pinned_flags(2, flags) == "--xla_dump_to=/tmp/d intra_op_parallelism_threads=2"


def test_every_jax_trajectory_records_the_threading():
    split = make_task("linear_sign", 0)
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3}, epochs=5)
    ds = jax_engine.run(LinearRegression(), [split], cfg)
    recorded = json.loads(ds.attrs["threading"])
    assert recorded == thread_settings() | {"torch_threads": recorded["torch_threads"]}
    assert recorded["cpu_count"] == os.cpu_count()


def test_pinning_after_jax_started_with_other_threads_is_refused():
    jnp.ones(2).sum().block_until_ready()  # this process's CPU backend has started
    current = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads=3" in current:  # pragma: no cover - unusual CI flags
        pytest.skip("the process already runs with 3 XLA threads")
    with pytest.raises(ThreadPinError, match="fresh process"):
        pin_threads(3)
    assert os.environ.get("XLA_FLAGS", "") == current  # nothing was changed


def test_a_fresh_process_pins_xla_and_torch_before_computing():
    code = (
        "import json, torch, jax.numpy as jnp\n"
        "from bayesgrok.search.threads import pin_threads, thread_settings\n"
        "pin_threads(1)\n"
        "jnp.ones(3).sum().block_until_ready()\n"
        "print(json.dumps(thread_settings()))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "OMP_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, check=True)
    settings = json.loads(done.stdout.strip().splitlines()[-1])
    assert settings["xla_threads"] == 1 and settings["torch_threads"] == 1
    assert "--xla_cpu_multi_thread_eigen=false" in settings["xla_flags"]


def test_pin_threads_refuses_bad_counts():
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="positive integer"):
            pin_threads(bad)
