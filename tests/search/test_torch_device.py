"""The ``[search] device`` key of the PyTorch engine: CPU results unchanged bit for bit,
clear errors for a device that is not there, the device recorded, and the accelerator
paths (finiteness kept on the device, read once per segment) equal to the CPU's loop."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from bayesgrok.families.mlp import MLP
from bayesgrok.search import torch_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.torch_batched import SeedBatch
from bayesgrok.search.torch_device import DeviceUnavailable, resolve_device
from bayesgrok.search.torch_seed import _advance_on_device, advance_seed, start_seed
from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import load_study
from bayesgrok.tasks import make_task

torch.set_num_threads(1)
CUDA = torch.cuda.is_available()


def _splits(seeds=(0, 1)):
    return [make_task("parity", seed=s, n_points=80, n_train=60) for s in seeds]


def _cfg(**kw):
    base = {"optimizer": "adam", "optimizer_args": {"lr": 1e-2}, "steps": 40,
            "batch_size": 16, "log": {"every": 10}}
    return SearchConfig(**{**base, **kw})


def test_cpu_explicitly_is_the_default_bit_for_bit_and_keeps_the_recorded_config():
    default = torch_engine.run(MLP(widths=[16]), _splits(), _cfg())
    cpu = torch_engine.run(MLP(widths=[16]), _splits(), _cfg(device="cpu"))
    for var in ("error", "val_error", "train_accuracy", "val_accuracy", "weight_norm"):
        np.testing.assert_array_equal(default[var].values, cpu[var].values)
    assert cpu.attrs["device"] == "cpu" and cpu.attrs["device_name"]
    assert "device" not in _cfg(device="cpu").model_dump()  # run ids from before stay
    assert _cfg(device="auto").model_dump()["device"] == "auto"


def test_auto_picks_a_gpu_only_when_torch_sees_one():
    assert resolve_device("auto").type == ("cuda" if CUDA else "cpu")
    ds = torch_engine.run(MLP(widths=[8]), _splits((0,)), _cfg(device="auto", steps=10))
    assert ds.attrs["device"] == ("cuda:0" if CUDA else "cpu")


@pytest.mark.skipif(CUDA, reason="this machine has a GPU")
def test_a_missing_gpu_stops_the_study_naming_the_key(write_study, minimal_study):
    with pytest.raises(DeviceUnavailable, match="no CUDA GPU"):
        resolve_device("cuda:0")
    study = minimal_study.replace('card = "miller_linear"', 'card = "miller_concealment_mlp"')
    study = study.replace('name = "linear_sign"', 'name = "parity"')
    with pytest.raises(StudyError, match="search.device") as err:
        load_study(write_study(study + 'device = "cuda"\n'))
    assert "cuda" in str(err.value) and "not available" in str(err.value)


def test_a_malformed_device_is_refused(write_study, minimal_study):
    with pytest.raises(StudyError, match="device"):
        load_study(write_study(minimal_study + 'device = "gpu"\n'))


def test_the_accelerator_loop_equals_the_cpu_loop_and_stops_at_the_same_step():
    """The deferred check runs on CPU tensors too: same parameters, same stop."""
    fam = MLP(widths=[8])
    for lr in (1e-2, 1e6):  # the second diverges
        cfg = _cfg(optimizer="sgd", optimizer_args={"lr": lr})
        a = start_seed(fam, _splits((0,))[0], 0, cfg)
        b = copy.deepcopy(a)
        advance_seed(fam, a, 40, 0)
        _advance_on_device(fam, b, 40, 0, b.data["x_train"], b.data["y_train"], False)
        assert (a.alive, a.reason) == (b.alive, b.reason)
        if a.alive:
            for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
                torch.testing.assert_close(p, q, rtol=0, atol=0)
        else:
            assert a.reason.startswith("non-finite objective at step")


def test_the_accelerator_batch_equals_the_cpu_batch_and_stops_the_same_seeds():
    fam = MLP(widths=[8])
    cfg = _cfg(optimizer="sgd", optimizer_args={"lr": 1.0})
    splits = _splits((0, 1, 2))
    states = [start_seed(fam, s, i, cfg) for i, s in enumerate(splits)]
    with torch.no_grad():  # seed 1 starts huge and diverges; 0 and 2 do not
        for p in states[1].model.parameters():
            p.mul_(1e30)
    twins = copy.deepcopy(states)
    SeedBatch(fam, states, cfg).advance(20, 0)
    batch = SeedBatch(fam, twins, cfg)
    batch._advance_on_device(20, 0, torch.tensor([s.alive for s in twins]))
    batch.sync()
    assert [(s.alive, s.reason) for s in states] == [(s.alive, s.reason) for s in twins]
    assert [s.alive for s in states] == [True, False, True]
    for a, b in zip(states, twins, strict=True):
        if a.alive:
            for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
                torch.testing.assert_close(p, q, rtol=0, atol=0)


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_a_run_on_the_gpu_follows_the_cpu_run():
    cfg = _cfg()
    cpu = torch_engine.run(MLP(widths=[16], precision="float64"), _splits(), cfg)
    gpu = torch_engine.run(MLP(widths=[16], precision="float64"), _splits(),
                           cfg.model_copy(update={"device": "cuda"}))
    assert gpu.attrs["device"] == "cuda:0"
    np.testing.assert_allclose(gpu["error"], cpu["error"], rtol=1e-8)


def test_the_data_move_to_the_device_once_per_run_not_per_step(monkeypatch):
    """Every conversion of a host (NumPy) array into a tensor, which on a GPU is a copy to
    the device, is counted: ten steps and 200 steps make the same number."""
    moved = []

    def counting(real):
        def convert(data, *args, **kwargs):
            if isinstance(data, np.ndarray):  # host data (a whole set, or a minibatch)
                moved.append(data.shape)
            return real(data, *args, **kwargs)
        return convert

    for name in ("as_tensor", "tensor", "from_numpy"):
        monkeypatch.setattr(torch, name, counting(getattr(torch, name)))

    def moves(steps: int) -> int:
        moved.clear()
        torch_engine.run(MLP(widths=[8]), _splits((0,)),
                         _cfg(steps=steps, log={"at": [steps]}, device="cpu"))
        return len(moved)

    assert moves(10) == moves(200) > 0
