"""Adaptive perturbation level, accuracy and loss under input noise, and the abelian test
(on all training pairs and on those whose swap is held out)."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from bayesgrok.metrics import (
    abelian_test,
    held_out_swap_mask,
    perturbation_level,
    perturbed_accuracy_and_loss,
)
from bayesgrok.metrics.suite import robustness_metrics
from bayesgrok.search.torch_contract import TorchFamily
from bayesgrok.search.torch_seed import tensors_of
from bayesgrok.tasks import make_task
from bayesgrok.tasks.split import Split

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


# --- the abelian test on training pairs whose swap is held out --------------------------

# A hand-built training set of pairs mod P: (0, 1), (1, 0) and (2, 5), (5, 2) come with their
# swaps; (3, 3) and (6, 6) are their own swaps; (0, 2), (4, 1), (6, 3) and (5, 0) have a
# held-out swap.
TRAIN = [(0, 1), (1, 0), (3, 3), (0, 2), (4, 1), (2, 5), (5, 2), (6, 6), (6, 3), (5, 0)]
HELD_OUT_SWAP = [False, False, False, True, True, False, False, False, True, True]


def hand_split() -> Split:
    train = np.array(TRAIN)
    val = np.array([(a, b) for a in range(P) for b in range(P) if (a, b) not in TRAIN])
    return Split("modular_pairs", train, train.sum(1) % P, val, val.sum(1) % P,
                 kind="classification", n_classes=P, accuracy="argmax",
                 operand_columns=(0, 1))


class Lookup(nn.Module):
    """Logits of a lookup table, ``table[a, b]`` for the tokens ``[a, b]``."""

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("table", table)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ids = x.round().long()
        return self.table[ids[:, 0], ids[:, 1]]


def memoriser(split: Split) -> Lookup:
    """Right on the training pairs, wrong elsewhere: ``(a, b)`` is answered ``a + b`` when it
    is a training pair, ``a + b + 1`` (mod P) when it is not."""
    table = torch.zeros(P, P, P, dtype=torch.float64)
    seen = {tuple(map(int, row)) for row in split.x_train}
    for a in range(P):
        for b in range(P):
            table[a, b, (a + b + ((a, b) not in seen)) % P] = 1.0
    return Lookup(table)


def test_held_out_swap_mask_counts_exactly_the_pairs_whose_swap_is_held_out():
    train = torch.tensor(TRAIN, dtype=torch.float32)
    assert held_out_swap_mask(train, train[:, [1, 0]]).tolist() == HELD_OUT_SWAP
    # the same pairs one-hot encoded (a ++ b): the same mask
    onehot = torch.cat([nn.functional.one_hot(train[:, 0].long(), P),
                        nn.functional.one_hot(train[:, 1].long(), P)], dim=1)
    swapped = torch.cat([onehot[:, P:], onehot[:, :P]], dim=1)
    assert held_out_swap_mask(onehot, swapped).tolist() == HELD_OUT_SWAP
    assert held_out_swap_mask(np.zeros((0, 2)), np.zeros((0, 2))).shape == (0,)
    with pytest.raises(ValueError, match="one shape"):
        held_out_swap_mask(train, train[:3])


def test_held_out_swap_mask_matches_a_direct_count_on_a_random_split():
    split = make_task("modular_pairs", seed=3, p=11, train_fraction=0.5)
    a, b = split.metadata["a_train"], split.metadata["b_train"]
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    expected = [(bb, aa) not in pairs for aa, bb in zip(a.tolist(), b.tolist(), strict=True)]
    mask = held_out_swap_mask(split.x_train, split.x_train[:, ::-1])
    assert mask.tolist() == expected
    assert 0 < mask.sum() < len(mask)  # at 50% some swaps are trained on, some are not
    assert not mask[a == b].any()


def test_a_commutative_model_scores_one_on_the_held_out_swap_pairs():
    split = hand_split()
    w = torch.randn(P, P, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    model = Lookup(w[:, None, :] + w[None, :, :])  # logits(a, b) = w_a + w_b
    out = robustness_metrics(TorchFamily(), model, split, tensors_of(split, torch.float64),
                             ["abelian"])
    assert float(out["abelian_train_heldout_swap"][1]) == 1.0
    assert float(out["abelian_train_heldout_swap_distance"][1]) == 0.0
    assert float(out["abelian_train"][1]) == 1.0


def test_a_memorising_model_passes_on_training_pairs_but_not_on_held_out_swaps():
    split = hand_split()
    model = memoriser(split)
    data = tensors_of(split, torch.float64)
    out = robustness_metrics(TorchFamily(), model, split, data, ["abelian"])
    x = data["x_train"]
    # trivially perfect where the swap is itself a training pair ...
    trained = ~torch.as_tensor(HELD_OUT_SWAP)
    assert abelian_test(model, x[trained], x[trained][:, [1, 0]]) == (1.0, 0.0)
    # ... so on all training pairs it looks commutative 6 times in 10 ...
    assert float(out["abelian_train"][1]) == pytest.approx(6 / 10)
    # ... and on the pairs whose swap it never saw it never is
    assert float(out["abelian_train_heldout_swap"][1]) == 0.0
    assert float(out["abelian_train_heldout_swap_distance"][1]) == pytest.approx(math.sqrt(2))


def test_a_memoriser_of_a_random_split_scores_lower_on_held_out_swaps():
    split = make_task("modular_pairs", seed=0, p=P, train_fraction=0.5)
    out = robustness_metrics(TorchFamily(), memoriser(split), split,
                             tensors_of(split, torch.float64), ["abelian"])
    mask = held_out_swap_mask(split.x_train, split.x_train[:, ::-1])
    assert float(out["abelian_train"][1]) == pytest.approx(1 - mask.mean())
    assert float(out["abelian_train_heldout_swap"][1]) == 0.0


def test_no_held_out_swap_gives_nan_not_zero():
    train = np.array([(0, 1), (1, 0), (2, 2)])
    val = np.array([(0, 2), (2, 0)])
    split = Split("modular_pairs", train, train.sum(1) % P, val, val.sum(1) % P,
                  kind="classification", n_classes=P, accuracy="argmax",
                  operand_columns=(0, 1))
    out = robustness_metrics(TorchFamily(), memoriser(split), split,
                             tensors_of(split, torch.float64), ["abelian"])
    assert float(out["abelian_train"][1]) == 1.0
    assert math.isnan(float(out["abelian_train_heldout_swap"][1]))
    assert math.isnan(float(out["abelian_train_heldout_swap_distance"][1]))
