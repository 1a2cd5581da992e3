"""Adaptive perturbation level, accuracy and loss under input noise, and the abelian test."""

import pytest
import torch
from torch import nn

from bayesgrok.metrics import abelian_test, perturbation_level, perturbed_accuracy_and_loss

torch.set_num_threads(1)

P = 7


@pytest.mark.parametrize(("acc", "expected"), [(0.0, 2.0), (0.25, 1.5), (0.9, 0.2),
                                               (0.99, 0.1), (1.0, 0.1)])
def test_perturbation_level_follows_the_rule(acc, expected):
    assert perturbation_level(acc, l1=2.0, l2=0.1) == pytest.approx(expected)


def test_perturbation_level_edge_cases_and_bad_inputs():
    assert perturbation_level(0.3, l1=0.0, l2=0.0) == 0.0
    assert perturbation_level(0.0, l1=0.5, l2=1.0) == 1.0  # the floor wins
    for acc in (-0.1, 1.01, float("nan")):
        with pytest.raises(ValueError, match="train_accuracy"):
            perturbation_level(acc, 1.0, 0.1)
    with pytest.raises(ValueError, match="l1"):
        perturbation_level(0.5, -1.0, 0.1)
    with pytest.raises(ValueError, match="l2"):
        perturbation_level(0.5, 1.0, -0.1)


def linear_classifier() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A perfect classifier of 3 well separated Gaussian clusters."""
    g = torch.Generator().manual_seed(0)
    centres = 3.0 * torch.eye(3)
    y = torch.arange(300) % 3
    x = centres[y] + 0.1 * torch.randn(300, 3, generator=g)
    lin = nn.Linear(3, 3, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.eye(3))
    return lin, x, y


def test_clean_accuracy_and_loss_at_zero_noise():
    lin, x, y = linear_classifier()
    acc, loss = perturbed_accuracy_and_loss(lin, nn.functional.cross_entropy, x, y, 0.0,
                                            generator=torch.Generator())
    assert acc == 1.0
    assert loss == pytest.approx(nn.functional.cross_entropy(lin(x), y).item())


def test_noise_lowers_accuracy_raises_loss_and_is_deterministic():
    lin, x, y = linear_classifier()
    results = [perturbed_accuracy_and_loss(lin, nn.functional.cross_entropy, x, y, std,
                                           generator=torch.Generator().manual_seed(1))
               for std in (0.0, 1.0, 5.0)]
    accs, losses = zip(*results, strict=True)
    assert accs[0] > accs[1] > accs[2] > 0.2
    assert losses[0] < losses[1] < losses[2]
    again = perturbed_accuracy_and_loss(lin, nn.functional.cross_entropy, x, y, 1.0,
                                        generator=torch.Generator().manual_seed(1))
    assert again == results[1]


def test_perturbed_logits_callable_handles_token_inputs():
    torch.manual_seed(0)
    emb = nn.Embedding(P, P)
    with torch.no_grad():
        emb.weight.copy_(5.0 * torch.eye(P))
    tokens = torch.arange(P)
    seen = []

    def noisy(t, std, gen):
        seen.append(std)
        e = emb(t)
        return e + std * torch.randn(e.shape, generator=gen)

    acc, _ = perturbed_accuracy_and_loss(emb, nn.functional.cross_entropy, tokens, tokens,
                                         0.5, generator=torch.Generator(), perturbed_logits=noisy)
    assert seen == [0.5] and acc == 1.0
    with pytest.raises(TypeError, match="perturbed_logits"):
        perturbed_accuracy_and_loss(emb, nn.functional.cross_entropy, tokens, tokens, 0.5,
                                    generator=torch.Generator())
    with pytest.raises(ValueError, match="noise_std"):
        perturbed_accuracy_and_loss(emb, nn.functional.cross_entropy, tokens, tokens, -1.0,
                                    generator=torch.Generator(), perturbed_logits=noisy)


def all_pairs() -> tuple[torch.Tensor, torch.Tensor]:
    a, b = torch.meshgrid(torch.arange(P), torch.arange(P), indexing="ij")
    a, b = a.flatten(), b.flatten()
    return torch.stack([a, b], dim=1), torch.stack([b, a], dim=1)


def test_abelian_test_is_perfect_for_a_commutative_model():
    w = torch.randn(P, P, generator=torch.Generator().manual_seed(0))

    def commutative(pairs):  # W (onehot(a) + onehot(b))
        return nn.functional.one_hot(pairs, P).float().sum(dim=1) @ w.T

    agree, dist = abelian_test(commutative, *all_pairs())
    assert agree == 1.0 and dist == 0.0


def test_abelian_test_detects_a_non_commutative_model():
    g = torch.Generator().manual_seed(0)
    w1, w2 = torch.randn(P, P, generator=g), torch.randn(P, P, generator=g)

    def ordered(pairs):  # W1 onehot(a) + W2 onehot(b)
        oh = nn.functional.one_hot(pairs, P).float()
        return oh[:, 0] @ w1.T + oh[:, 1] @ w2.T

    x, x_swapped = all_pairs()
    agree, dist = abelian_test(ordered, x, x_swapped)
    assert 0.0 < agree < 1.0  # the diagonal a == b always agrees
    assert agree >= 1 / P
    expected = torch.linalg.vector_norm(ordered(x) - ordered(x_swapped), dim=1).mean().item()
    assert dist == pytest.approx(expected) and dist > 0.1
    with pytest.raises(ValueError, match="differ in shape"):
        abelian_test(ordered, x, x_swapped[:3])
