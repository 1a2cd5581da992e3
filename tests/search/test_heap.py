"""Freed heap pages are given back between logged steps of the PyTorch engine."""

import pytest

from bayesgrok.families.mlp import MLP
from bayesgrok.search import heap, torch_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.tasks import make_task


@pytest.mark.skipif(heap._malloc_trim() is None, reason="no glibc malloc_trim here")
def test_the_trimmer_trims_when_due_and_not_before():
    trim = heap.HeapTrimmer(every_seconds=0.0)
    assert trim() is True
    assert heap.HeapTrimmer(every_seconds=3600.0)() is False


def test_without_malloc_trim_trimming_does_nothing(monkeypatch):
    monkeypatch.setattr(heap, "_malloc_trim", lambda: None)
    assert heap.HeapTrimmer(every_seconds=0.0)() is False


def test_the_torch_engine_offers_a_trim_after_every_logged_step(monkeypatch):
    calls = []

    class Counting(heap.HeapTrimmer):
        def __call__(self) -> bool:
            calls.append(1)
            return False

    monkeypatch.setattr(torch_engine, "HeapTrimmer", Counting)
    split = make_task("parity", seed=0, n_points=40, n_train=30)
    search = SearchConfig(optimizer="sgd", steps=20, batch_size=10, log={"every": 5})
    ds = torch_engine.run(MLP(widths=[4]), [split], search)
    assert len(calls) == ds.sizes["step"] == 5
