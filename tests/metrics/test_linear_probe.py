"""Linear probes (REFERENCE B3): high accuracy on separable features, chance on random
labels, deterministic given the seed, one accuracy per Linear layer."""

import numpy as np
import pytest
import torch
from torch import nn

from bayesgrok.metrics import linear_probe_accuracies, linear_probe_accuracy

torch.set_num_threads(1)


def _blobs(n, width=20, n_classes=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = 4.0 * torch.randn(n_classes, width, generator=g)
    y = torch.randint(0, n_classes, (n,), generator=g)
    x = centres[y] + torch.randn(n, width, generator=g)
    return x, y


def test_separable_features_are_probed_accurately():
    x, y = _blobs(1500)
    acc = linear_probe_accuracy(x[:1000], y[:1000], x[1000:], y[1000:], epochs=10,
                                batch_size=64)
    assert acc > 0.95


def test_random_labels_give_chance_accuracy():
    x, _ = _blobs(3000, n_classes=4)
    y = torch.randint(0, 4, (3000,), generator=torch.Generator().manual_seed(5))
    acc = linear_probe_accuracy(x[:2000], y[:2000], x[2000:], y[2000:], epochs=5)
    assert abs(acc - 0.25) < 0.06


def test_same_seed_same_accuracy_other_seed_other_probe():
    x, y = _blobs(600, width=10)
    y = torch.where(torch.rand(600, generator=torch.Generator().manual_seed(1)) < 0.3,
                    (y + 1) % 4, y)  # label noise so that probes can differ
    kw = {"epochs": 3, "batch_size": 64, "lr": 3e-3}
    a = linear_probe_accuracy(x[:400], y[:400], x[400:], y[400:], seed=0, **kw)
    b = linear_probe_accuracy(x[:400], y[:400], x[400:], y[400:], seed=0, **kw)
    assert a == b
    others = {linear_probe_accuracy(x[:400], y[:400], x[400:], y[400:], seed=s, **kw)
              for s in range(1, 6)}
    assert len(others | {a}) > 1


def test_the_global_rng_is_untouched_and_no_grad_is_fine():
    x, y = _blobs(200)
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    with torch.no_grad():
        linear_probe_accuracy(x[:100], y[:100], x[100:], y[100:], epochs=2)
    assert torch.equal(torch.rand(1), expected)


def test_penalty_shrinks_the_probe():
    """A large Frobenius penalty pushes the weights (and so the accuracy) to chance."""
    x, y = _blobs(1000)
    kw = {"epochs": 20, "batch_size": 64, "lr": 1e-2}
    plain = linear_probe_accuracy(x[:600], y[:600], x[600:], y[600:], **kw)
    crushed = linear_probe_accuracy(x[:600], y[:600], x[600:], y[600:], penalty=1e3, **kw)
    assert plain > 0.9 and crushed < plain


def test_mismatched_widths_are_refused():
    with pytest.raises(ValueError, match="width"):
        linear_probe_accuracy(torch.zeros(4, 3), torch.zeros(4), torch.zeros(4, 2),
                              torch.zeros(4))


def test_one_accuracy_per_linear_layer():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                        nn.Linear(16, 4))
    x, y = _blobs(800)
    accs = linear_probe_accuracies(net, x[:500], y[:500], x[500:], y[500:], epochs=20,
                                   batch_size=64, lr=1e-2, n_classes=4)
    assert accs.shape == (3,) and accs.dtype == np.float64
    assert accs[0] > 0.9 and ((accs >= 0) & (accs <= 1)).all()
