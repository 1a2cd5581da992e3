"""Matrix-based entropy, joint entropy, mutual information and the C4 metrics under noise."""

import math

import pytest
import torch
from torch import nn

from bayesgrok.metrics import (
    gram_matrix,
    information_metrics,
    matrix_joint_entropy,
    matrix_mutual_information,
    matrix_renyi_entropy,
)

torch.set_num_threads(1)


def random_gram(n: int, k: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return gram_matrix(torch.randn(n, k, generator=g, dtype=torch.float64))


def test_gram_matrix_has_a_unit_diagonal_cosines_and_survives_zero_rows():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(6, 4, generator=g)
    f[2] = 0.0
    r = gram_matrix(f)
    assert r.dtype == torch.float64 and r.shape == (6, 6)
    assert torch.allclose(r, r.T)
    assert not torch.isnan(r).any()
    keep = [0, 1, 3, 4, 5]
    assert torch.allclose(torch.diagonal(r)[keep], torch.ones(5, dtype=torch.float64))
    assert torch.all(r[2] == 0)
    cos = nn.functional.cosine_similarity(f[0:1].double(), f[1:2].double()).item()
    assert r[0, 1].item() == pytest.approx(cos)
    with pytest.raises(ValueError, match="n x k"):
        gram_matrix(torch.ones(3))


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0, 3.0])
@pytest.mark.parametrize("n", [1, 5, 12])
def test_identity_gives_log_n_and_all_ones_gives_zero(alpha, n):
    assert matrix_renyi_entropy(torch.eye(n), alpha) == pytest.approx(math.log(n), abs=1e-12)
    assert matrix_renyi_entropy(torch.ones(n, n), alpha) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
@pytest.mark.parametrize(("k", "m"), [(2, 3), (3, 4), (5, 1)])
def test_k_equal_all_ones_blocks_give_log_k(alpha, k, m):
    r = torch.block_diag(*[torch.ones(m, m)] * k)
    assert matrix_renyi_entropy(r, alpha) == pytest.approx(math.log(k), abs=1e-12)
    # a permutation of the points does not change the entropy
    perm = torch.randperm(k * m, generator=torch.Generator().manual_seed(1))
    assert matrix_renyi_entropy(r[perm][:, perm], alpha) == pytest.approx(math.log(k), abs=1e-12)


def test_entropy_is_continuous_at_alpha_one():
    r = random_gram(20, 6, seed=3)
    h1 = matrix_renyi_entropy(r, 1.0)
    assert 0.0 < h1 < math.log(20)
    for alpha in (1 - 1e-4, 1 + 1e-4):
        assert matrix_renyi_entropy(r, alpha) == pytest.approx(h1, abs=1e-3)
    for alpha in (1 - 1e-10, 1 + 1e-10):  # the expm1/log1p evaluation stays exact near 1
        assert matrix_renyi_entropy(r, alpha) == pytest.approx(h1, abs=1e-7)
    # Renyi entropy falls with the order
    assert matrix_renyi_entropy(r, 0.5) > h1 > matrix_renyi_entropy(r, 2.0)


def test_order_two_is_minus_log_of_the_squared_frobenius_norm():
    r = random_gram(15, 4, seed=4)
    n = r.shape[0]
    expected = -math.log(float((r**2).sum()) / n**2)
    assert matrix_renyi_entropy(r, 2.0) == pytest.approx(expected, rel=1e-12)


def test_entropy_normalises_by_the_trace_and_rejects_bad_input():
    r = random_gram(10, 3, seed=5)
    assert matrix_renyi_entropy(7.0 * r) == pytest.approx(matrix_renyi_entropy(r), abs=1e-12)
    with pytest.raises(ValueError, match="square"):
        matrix_renyi_entropy(torch.ones(2, 3))
    with pytest.raises(ValueError, match="positive trace"):
        matrix_renyi_entropy(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="alpha"):
        matrix_renyi_entropy(r, 0.0)


def test_mutual_information_is_symmetric_and_bounded_by_each_entropy():
    a, b = random_gram(16, 3, seed=6), random_gram(16, 5, seed=7)
    for alpha in (1.0, 2.0):
        i_ab = matrix_mutual_information(a, b, alpha)
        assert i_ab == pytest.approx(matrix_mutual_information(b, a, alpha), abs=1e-12)
        assert matrix_joint_entropy(a, b, alpha) >= max(matrix_renyi_entropy(a, alpha),
                                                        matrix_renyi_entropy(b, alpha)) - 1e-12
        assert i_ab <= min(matrix_renyi_entropy(a, alpha), matrix_renyi_entropy(b, alpha))


def test_mutual_information_with_an_all_ones_matrix_is_zero():
    a = random_gram(12, 4, seed=8)
    assert matrix_joint_entropy(a, torch.ones(12, 12)) == pytest.approx(matrix_renyi_entropy(a))
    assert matrix_mutual_information(a, torch.ones(12, 12)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_mutual_information_of_independent_kronecker_factors_is_zero(alpha):
    # Points on a k x m grid; A only sees the first coordinate, B only the second. The
    # entropy of a Kronecker product is the sum of the factors', so H(A o B) = H(A) + H(B).
    a1, b1 = random_gram(3, 2, seed=9), random_gram(4, 3, seed=10)
    a = torch.kron(a1, torch.ones(4, 4, dtype=torch.float64))
    b = torch.kron(torch.ones(3, 3, dtype=torch.float64), b1)
    assert matrix_renyi_entropy(a, alpha) == pytest.approx(matrix_renyi_entropy(a1, alpha))
    assert matrix_joint_entropy(a, b, alpha) == pytest.approx(
        matrix_renyi_entropy(a1, alpha) + matrix_renyi_entropy(b1, alpha))
    assert matrix_mutual_information(a, b, alpha) == pytest.approx(0.0, abs=1e-10)
    # whereas sharing the first coordinate gives positive information
    assert matrix_mutual_information(a, a, alpha) > 0.1


def test_self_information_is_the_entropy_for_0_1_matrices_and_below_it_otherwise():
    blocks = torch.block_diag(torch.ones(3, 3), torch.ones(2, 2), torch.ones(4, 4))
    assert matrix_mutual_information(blocks, blocks) == pytest.approx(
        matrix_renyi_entropy(blocks), abs=1e-12)
    a = random_gram(10, 3, seed=11)
    h = matrix_renyi_entropy(a)
    i_aa = matrix_mutual_information(a, a)
    assert i_aa == pytest.approx(2 * h - matrix_renyi_entropy(a * a), abs=1e-12)
    assert 0.0 < i_aa < h - 1e-3


def feature_net() -> nn.Module:
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh())


def test_information_metrics_are_deterministic_given_the_generator():
    net = feature_net()
    x = torch.randn(100, 4, generator=torch.Generator().manual_seed(1))
    first = information_metrics(net, x, 0.5, generator=torch.Generator().manual_seed(2),
                                batch_size=32)
    again = information_metrics(net, x, 0.5, generator=torch.Generator().manual_seed(2),
                                batch_size=32)
    other = information_metrics(net, x, 0.5, generator=torch.Generator().manual_seed(3),
                                batch_size=32)
    assert first == again
    assert first["pe"] != other["pe"]
    assert first["n_batches"] == 3  # 100 // 32 full batches, the last 4 rows dropped
    assert set(first) == {"entropy_clean", "pe", "pmi", "mi_clean", "mid", "ed", "n_batches"}
    assert first["ed"] == pytest.approx(first["entropy_clean"] - first["pe"])
    assert first["mid"] == pytest.approx(first["mi_clean"] - first["pmi"])
    assert first["mid"] > 0


def test_information_metrics_average_the_batches():
    net = feature_net()
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(1))
    both = information_metrics(net, x, 0.0, generator=torch.Generator(), batch_size=32)
    halves = [matrix_renyi_entropy(gram_matrix(net(x[i:i + 32]).detach())) for i in (0, 32)]
    assert both["entropy_clean"] == pytest.approx(sum(halves) / 2)
    one = information_metrics(net, x, 0.0, generator=torch.Generator(), batch_size=32,
                              n_batches=1)
    assert one["n_batches"] == 1 and one["entropy_clean"] == pytest.approx(halves[0])
    small = information_metrics(net, x[:10], 0.0, generator=torch.Generator(), batch_size=32)
    assert small["n_batches"] == 1  # fewer rows than a batch: one batch of all of them


def test_perturbed_quantities_tend_to_the_clean_ones_as_the_noise_vanishes():
    net = feature_net()
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(1))
    gaps = []
    for std in (1.0, 1e-2, 1e-4, 0.0):
        out = information_metrics(net, x, std, generator=torch.Generator().manual_seed(0),
                                  batch_size=64)
        gaps.append((abs(out["ed"]), out["mid"]))
    assert gaps[-1] == (0.0, 0.0)
    assert gaps[2][0] < 1e-3 and abs(gaps[2][1]) < 1e-3
    assert gaps[1][0] < 1e-2 and abs(gaps[1][1]) < 1e-2
    assert abs(gaps[2][1]) < abs(gaps[1][1]) < gaps[0][1]  # mid grows with the noise
    assert gaps[0][1] > 0.1


def test_perturbed_features_callable_replaces_the_additive_noise():
    torch.manual_seed(0)
    emb = nn.Embedding(10, 6)
    tokens = torch.arange(40) % 10
    calls = []

    def noisy(batch, gen):
        calls.append(len(batch))
        e = emb(batch)
        return e + 0.3 * torch.randn(e.shape, generator=gen)

    out = information_metrics(emb, tokens, 0.0, generator=torch.Generator().manual_seed(0),
                              batch_size=20, perturbed_features=noisy)
    assert calls == [20, 20]
    assert out["mid"] > 0 and out["ed"] != 0
    with pytest.raises(TypeError, match="perturbed_features"):
        information_metrics(emb, tokens, 0.1, generator=torch.Generator(), batch_size=20)


def test_information_metrics_reject_bad_arguments():
    x = torch.randn(8, 2)
    with pytest.raises(ValueError, match="noise_std"):
        information_metrics(lambda b: b, x, -1.0, generator=torch.Generator())
    with pytest.raises(ValueError, match="batch_size"):
        information_metrics(lambda b: b, x, 0.1, generator=torch.Generator(), batch_size=0)
