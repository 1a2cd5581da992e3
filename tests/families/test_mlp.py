"""The MLP family: architecture, initialisation, alpha scaling, losses, probes, registry."""

import numpy as np
import pytest
import torch

from bayesgrok.families import FamilyParameterError, family_parameters, make_family
from bayesgrok.families.mlp import MLP
from bayesgrok.tasks import make_task

torch.set_num_threads(1)


@pytest.fixture
def split():
    return make_task("parity", seed=0, n_points=50, n_train=30, n_spurious=5)


def test_layers_follow_widths_and_biases(split):
    model = MLP(widths=[16, 8], last_bias=False).build(split, 0)
    shapes = [tuple(layer.weight.shape) for layer in model.layers]
    assert shapes == [(16, 8), (8, 16), (2, 8)]
    assert model.layers[0].bias is not None and model.layers[-1].bias is None
    no_bias = MLP(widths=[4], bias=False).build(split, 0)
    assert no_bias.layers[0].bias is None and no_bias.layers[-1].bias is not None


def test_alpha_multiplies_every_parameter(split):
    one = MLP(widths=[8]).build(split, 1)
    eight = MLP(widths=[8], alpha=8.0).build(split, 1)
    for a, b in zip(one.parameters(), eight.parameters(), strict=True):
        torch.testing.assert_close(8.0 * a, b)


def test_build_is_deterministic_and_leaves_the_global_rng(split):
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = MLP(widths=[8], init="xavier_uniform").build(split, 5)
    after = torch.rand(1)
    b = MLP(widths=[8], init="xavier_uniform").build(split, 5)
    c = MLP(widths=[8], init="xavier_uniform").build(split, 6)
    assert torch.equal(before, after)
    assert torch.equal(a.layers[0].weight, b.layers[0].weight)
    assert not torch.equal(a.layers[0].weight, c.layers[0].weight)


def test_xavier_uniform_bounds_the_weights(split):
    model = MLP(widths=[100], init="xavier_uniform").build(split, 0)
    w = model.layers[0].weight.detach()
    bound = np.sqrt(6.0 / (w.shape[0] + w.shape[1]))
    assert float(w.abs().max()) <= bound
    assert float(w.abs().max()) > 0.9 * bound


def test_losses_and_predictions(split):
    x = torch.as_tensor(split.x_train, dtype=torch.float32)
    y = torch.as_tensor(split.y_train)
    mse = MLP(widths=[8])
    model = mse.build(split, 0)
    out = model(x)
    expected = torch.mean((out - torch.nn.functional.one_hot(y, 2).float()) ** 2)
    torch.testing.assert_close(mse.error(model, x, y), expected)
    assert mse.predict(model, x).shape == (30, 2)
    ce = MLP(widths=[8], loss="cross_entropy")
    torch.testing.assert_close(ce.error(model, x, y), torch.nn.functional.cross_entropy(out, y))
    torch.testing.assert_close(ce.predict(model, x).sum(dim=-1), torch.ones(30))


def test_complexity_and_probes(split):
    fam = MLP(widths=[8], complexity_weight=0.1)
    model = fam.build(split, 0)
    squared = sum(float((p.detach() ** 2).sum()) for p in model.parameters())
    assert float(fam.complexity(model).detach()) == pytest.approx(squared, rel=1e-6)
    probes = fam.probes(model, split)
    assert float(probes["weight_norm"][1]) == pytest.approx(np.sqrt(squared), rel=1e-6)
    last = sum(float((p.detach() ** 2).sum()) for p in model.layers[-1].parameters())
    assert float(probes["last_layer_norm"][1]) == pytest.approx(np.sqrt(last), rel=1e-6)
    assert fam.objective_formula == "error + 0.1 * complexity"


def test_registry_and_bad_parameters():
    params = family_parameters("mlp")
    assert params["alpha"] == 1.0 and params["loss"] == "mse_onehot"
    assert make_family("mlp", widths=[4], activation="gelu").backend == "torch"
    for key, value in (("activation", "swish"), ("init", "he"), ("loss", "hinge"),
                       ("precision", "float16")):
        with pytest.raises(FamilyParameterError):
            make_family("mlp", **{key: value})
    with pytest.raises(FamilyParameterError):
        make_family("mlp", width=3)


def test_metrics_names_are_checked_and_recorded():
    assert family_parameters("mlp")["metrics"] == ()
    assert family_parameters("mlp")["tunnel_threshold"] == 300.0
    with pytest.raises(FamilyParameterError, match="allowed: feature_rank, linear_probe") as info:
        make_family("mlp", metrics=["feature_rank", "rank"])
    assert info.value.key == "metrics"
    with pytest.raises(ValueError, match="list of names"):
        MLP(metrics="feature_rank")
    fam = MLP(metrics=["linear_probe", "feature_rank"], tunnel_threshold=5)
    assert fam.config()["metrics"] == ["linear_probe", "feature_rank"]
    assert fam.config()["tunnel_threshold"] == 5.0
    assert MLP().metrics(None, None, {}) == {}


def test_metrics_use_validation_features_for_rank_and_train_features_for_probes(split):
    from bayesgrok.metrics import feature_ranks, linear_probe_accuracies

    fam = MLP(widths=[8, 8], metrics=["feature_rank", "linear_probe"], tunnel_threshold=4)
    model = fam.build(split, 0)
    data = {k: torch.as_tensor(getattr(split, k), dtype=torch.float32)
            for k in ("x_train", "x_val")}
    data |= {k: torch.as_tensor(getattr(split, k)) for k in ("y_train", "y_val")}
    out = fam.metrics(model, split, data)
    ranks = feature_ranks(model, data["x_val"])
    np.testing.assert_array_equal(out["feature_rank"][1], ranks)
    assert out["tunnel_length"] == ((), np.sum(ranks < 4))
    probes = linear_probe_accuracies(model, data["x_train"], data["y_train"], data["x_val"],
                                     data["y_val"], n_classes=2)
    np.testing.assert_array_equal(out["linear_probe_accuracy"][1], probes)
    assert model.training  # left as it was


def test_linear_probe_needs_a_classification_task():
    with pytest.raises(ValueError, match="classification"):
        MLP(widths=[4], metrics=["linear_probe"]).build(make_task("noisy_sine", seed=0), 0)
    MLP(widths=[4], metrics=["feature_rank"]).build(make_task("noisy_sine", seed=0), 0)


def test_a_float64_mlp_is_drawn_in_float64_as_the_published_code():
    from bayesgrok.families.mlp import MLP
    from bayesgrok.tasks import make_task

    split = make_task("parity", seed=0, n_points=20, n_train=10)
    net = MLP(widths=[5], alpha=8.0, precision="float64").build(split, 0)
    # Omnigrok / Deep-Grokking: torch.set_default_dtype(torch.float64), then the layers
    default = torch.get_default_dtype()
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float64)
    try:
        ref = torch.nn.Linear(3, 5)
    finally:
        torch.set_default_dtype(default)
    assert net.layers[0].weight.dtype == torch.float64
    assert torch.equal(net.layers[0].weight, 8.0 * ref.weight.detach())
    assert torch.get_default_dtype() == default  # left as it was
