"""The PyTorch engine: schema, determinism, the minibatch stream, precision, divergence,
optimizers, a grokking run and a study through the command line."""

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from bayesgrok.cli import app
from bayesgrok.families.mlp import MLP
from bayesgrok.search import engine_for, torch_engine, torch_optimizers, torch_seed
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.optimizers import OptimizerError
from bayesgrok.search.torch_batches import BatchStream
from bayesgrok.search.torch_contract import TorchFamily
from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import load_study
from bayesgrok.tasks import make_task
from bayesgrok.trajectory import validate

torch.set_num_threads(1)


def _parity(seeds=(0,), n_train=60, n_spurious=0):
    return [make_task("parity", seed=s, n_points=n_train + 40, n_train=n_train,
                      n_spurious=n_spurious) for s in seeds]


def _cfg(**kw):
    base = {"optimizer": "adam", "optimizer_args": {"learning_rate": 1e-2}, "steps": 30,
            "batch_size": 16, "log": {"every": 10}}
    return SearchConfig(**{**base, **kw})


def test_trajectory_has_the_schema():
    ds = torch_engine.run(MLP(widths=[16]), _parity((0, 1)), _cfg())
    validate(ds)
    assert dict(ds.sizes) == {"seed": 2, "step": 4}
    for var in ("error", "complexity", "objective", "val_error", "train_accuracy",
                "val_accuracy", "weight_norm", "last_layer_norm"):
        assert ds[var].dims == ("seed", "step")
    assert list(ds["status"].values) == ["ok", "ok"]
    assert ds.attrs["engine"] == "torch" and ds.attrs["backend"] == "torch"
    assert ds.attrs["optimizer_decay"] == "none" and ds.attrs["decay_in_optimizer"] == 0
    assert json.loads(ds.attrs["config"])["search"]["optimizer"] == "adam"
    np.testing.assert_allclose(ds["complexity"], ds["weight_norm"] ** 2, rtol=1e-5)
    assert engine_for(MLP()) is torch_engine.run_with_artifacts


def test_regression_task_records_mse():
    splits = [make_task("noisy_sine", seed=0)]
    ds = torch_engine.run(MLP(widths=[8]), splits, _cfg(batch_size="full", steps=5,
                                                        log={"every": 5}))
    assert "train_mse" in ds and "val_mse" in ds and "train_accuracy" not in ds


def test_rerun_is_bit_for_bit_identical():
    fam = MLP(widths=[16], alpha=2.0)
    a = torch_engine.run(fam, _parity((0, 1)), _cfg())
    b = torch_engine.run(fam, _parity((0, 1)), _cfg())
    for var in ("error", "val_error", "weight_norm"):
        np.testing.assert_array_equal(a[var].values, b[var].values)
    alone = torch_engine.run(fam, _parity((1,)), _cfg())
    np.testing.assert_array_equal(a["error"].sel(seed=1).values, alone["error"].sel(seed=1).values)


def test_stream_visits_every_point_once_per_epoch_and_reshuffles():
    stream = BatchStream(12, 4, seed=3)
    epochs = [torch.cat([stream.next() for _ in range(3)]) for _ in range(3)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(12))
    assert not torch.equal(epochs[0], epochs[1])
    again = BatchStream(12, 4, seed=3)
    assert torch.equal(torch.cat([again.next() for _ in range(3)]), epochs[0])
    assert BatchStream(12, 12, seed=0).next().tolist() == list(range(12))


def test_float64_is_honoured_and_the_default_dtype_untouched():
    fam = MLP(widths=[8], precision="float64")
    model = torch_seed.build_model(fam, _parity()[0], 0)
    assert all(p.dtype == torch.float64 for p in model.parameters())
    ds = torch_engine.run(fam, _parity(), _cfg())
    assert ds.attrs["precision"] == "float64"
    assert torch.get_default_dtype() == torch.float32
    single = torch_engine.run(MLP(widths=[8]), _parity(), _cfg())
    assert not np.array_equal(ds["error"].values, single["error"].values)


class Fragile(TorchFamily):
    """A scalar p starting at the seed with error p^2: a large learning rate blows it up
    unless it starts at 0."""

    name = "fragile"

    def build(self, split, seed):
        model = torch.nn.Linear(1, 1, bias=False)
        with torch.no_grad():
            model.weight.fill_(float(seed))
        return model

    def error(self, model, x, y):
        return torch.sum(model.weight**2) + 0.0 * y.float().sum()

    def predict(self, model, x):
        return torch.zeros(x.shape[0], 2)


def test_diverging_seed_is_recorded_while_the_other_finishes():
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"lr": 10.0}, steps=400,
                       log={"every": 100})
    ds = torch_engine.run(Fragile(), _parity((0, 1)), cfg)
    assert list(ds["status"].values) == ["ok", "diverged"]
    assert "non-finite" in json.loads(ds["status"].attrs["reasons"])["1"]
    assert np.isfinite(ds["error"].sel(seed=0)).all()
    assert np.isnan(ds["error"].sel(seed=1).values[-1])


def test_adamw_decay_lowers_the_weight_norm():
    def norm(decay):
        cfg = _cfg(optimizer="adamw", optimizer_args={"lr": 1e-2, "weight_decay": decay},
                   steps=100, log={"every": 100})
        ds = torch_engine.run(MLP(widths=[32], alpha=4.0), _parity(), cfg)
        return float(ds["weight_norm"].isel(seed=0, step=-1)), ds.attrs

    with_decay, attrs = norm(1.0)
    without, _ = norm(0.0)
    assert with_decay < 0.8 * without
    assert "decoupled" in attrs["optimizer_decay"] and attrs["decay_in_optimizer"] == 1
    assert "optimizer" in attrs["objective_note"]


def test_optimizer_names_and_arguments_are_checked():
    assert torch_optimizers.optimizer_kwargs("SGD", {"learning_rate": 0.1}) == {"lr": 0.1}
    # every torch.optim optimizer by its class name, in any case
    assert torch_optimizers.optimizer_kwargs("RMSprop", {"alpha": 0.9}) == {"alpha": 0.9}
    assert "adagrad" in torch_optimizers.OPTIMIZERS
    with pytest.raises(OptimizerError, match="rmsprob") as info:
        torch_optimizers.optimizer_kwargs("rmsprob", {})
    assert info.value.key == "optimizer"
    with pytest.raises(OptimizerError, match="lbfgs"):  # its step needs a closure
        torch_optimizers.optimizer_kwargs("lbfgs", {})
    with pytest.raises(OptimizerError) as info:
        torch_optimizers.optimizer_kwargs("adamw", {"lr": 1e-3, "decay": 0.1})
    assert info.value.key == "optimizer_args.decay"
    with pytest.raises(OptimizerError):
        torch_optimizers.optimizer_kwargs("adam", {"lr": -1.0})


def test_progress_counts_every_step():
    done = []
    torch_engine.run(MLP(widths=[4]), _parity(), _cfg(steps=25), progress=done.append)
    assert sum(done) == 25


def test_small_mlp_groks_parity_with_spurious_bits():
    """Train accuracy passes 0.95 well before validation accuracy does (about 1 s)."""
    splits = [make_task("parity", seed=0, n_bits=3, n_points=400, n_train=200,
                        n_spurious=10)]
    cfg = SearchConfig(optimizer="adamw", optimizer_args={"lr": 3e-3, "weight_decay": 0.5},
                       steps=2000, batch_size="full", log={"every": 20})
    ds = torch_engine.run(MLP(widths=[128], loss="cross_entropy"), splits, cfg)
    steps = ds["step"].values

    def onset(acc):
        above = acc > 0.95
        return int(steps[above.argmax()]) if above.any() else int(steps[-1]) + 1

    train = onset(ds["train_accuracy"].values[0])
    val = onset(ds["val_accuracy"].values[0])
    assert train < val <= steps[-1]
    assert val - train >= 200


MLP_STUDY = """
name = "tiny_mlp"
description = "a tiny MLP study for tests"

[task]
name = "parity"
n_points = 100
n_train = 60
n_spurious = 2

[model]
family = "mlp"
widths = [8]
loss = "cross_entropy"

[search]
optimizer = "{optimizer}"
optimizer_args = {{ {args} }}
steps = 20
batch_size = 16
log = {{ every = 10 }}

[sweep]
seeds = [0, 1]
grid = {{ "model.alpha" = [1.0, 2.0] }}
"""


def test_mlp_study_runs_end_to_end_through_the_cli(write_study, tmp_path):
    path = write_study(MLP_STUDY.format(optimizer="adamw",
                                        args="learning_rate = 1e-2, weight_decay = 0.01"))
    out = tmp_path / "res"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 runs computed" in result.output
    assert (out / "study.nc").is_file()


@pytest.mark.parametrize(("optimizer", "args", "key"), [
    ("adamx", "learning_rate = 1e-2", "search.optimizer"),
    ("adamw", "learning_rate = 1e-2, decay = 0.1", "search.optimizer_args.decay"),
])
def test_bad_torch_optimizer_in_a_study_names_the_key(write_study, tmp_path, optimizer, args,
                                                       key):
    path = write_study(MLP_STUDY.format(optimizer=optimizer, args=args))
    with pytest.raises(StudyError, match=key.replace(".", r"\.")):
        load_study(path)
    out = tmp_path / "never"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert key in result.output and not out.exists()


CARD_STUDY = """
name = "cards"
[task]
name = "{task}"
[model]
card = "{card}"
[search]
optimizer = "{optimizer}"
optimizer_args = {{ learning_rate = {lr}, weight_decay = 0.01 }}
steps = 12
batch_size = 32
log = {{ every = 6 }}
[sweep]
seeds = [0]
"""


@pytest.mark.parametrize(("card", "task", "optimizer", "lr", "precision"), [
    ("miller_concealment_mlp", "modular", "sgd", 0.1, "float32"),
    ("omnigrok_mlp", "parity", "adamw", 1e-3, "float64"),
])
def test_model_cards_resolve_and_run(write_study, card, task, optimizer, lr, precision):
    from bayesgrok.study.runner import execute

    path = write_study(CARD_STUDY.format(card=card, task=task, optimizer=optimizer, lr=lr))
    ds = execute(load_study(path).runs[0])
    assert ds.attrs["precision"] == precision and ds.attrs["family"] == "mlp"
    assert list(ds["status"].values) == ["ok"]


def test_every_seed_diverging_still_gives_a_valid_trajectory():
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"lr": 10.0}, steps=400,
                       log={"every": 200})
    ds = torch_engine.run(Fragile(), _parity((1, 2)), cfg)
    validate(ds)
    assert list(ds["status"].values) == ["diverged", "diverged"]
    assert np.isfinite(ds["error"].isel(step=0)).all()


def test_expensive_metrics_are_measured_only_on_their_sparser_schedule(tmp_path):
    from bayesgrok import trajectory

    fam = MLP(widths=[16, 16], metrics=["feature_rank", "linear_probe"], tunnel_threshold=10)
    cfg = _cfg(steps=30, log={"every": 5}, metrics_log={"at": [12]})
    ds = torch_engine.run(fam, _parity((0, 1)), cfg)
    validate(ds)
    assert ds["step"].values.tolist() == [0, 5, 10, 12, 15, 20, 25, 30]  # the union
    metric_steps = [0, 12, 30]
    assert json.loads(ds.attrs["metrics_steps"]) == metric_steps
    for var in ("feature_rank", "linear_probe_accuracy"):
        assert ds[var].dims == ("seed", "step", "layer")
        assert ds["layer"].values.tolist() == [0, 1, 2]
    assert ds["tunnel_length"].dims == ("seed", "step")
    for var in ("feature_rank", "linear_probe_accuracy", "tunnel_length"):
        measured = ds[var].sel(step=metric_steps)
        assert np.isfinite(measured).all(), var
        others = ds[var].drop_sel(step=metric_steps)
        assert others.isnull().all(), var
    assert np.isfinite(ds["error"]).all()  # the cheap variables at every step
    ranks = ds["feature_rank"].sel(step=metric_steps)
    assert (ranks.sel(layer=0) <= 3).all() and (ranks.sel(layer=2) <= 2).all()
    np.testing.assert_array_equal(ds["tunnel_length"].sel(step=metric_steps),
                                  (ranks < 10).sum("layer"))
    acc = ds["linear_probe_accuracy"].sel(step=metric_steps)
    assert ((acc >= 0) & (acc <= 1)).all()
    config = json.loads(ds.attrs["config"])
    assert config["family"]["metrics"] == ["feature_rank", "linear_probe"]
    assert config["search"]["metrics_log"]["at"] == [12]

    path = trajectory.write(ds, tmp_path / "run.nc")
    back = trajectory.read(path)
    for var in ("feature_rank", "linear_probe_accuracy", "tunnel_length"):
        np.testing.assert_array_equal(back[var].values, ds[var].values)
        assert back[var].dims == ds[var].dims


def test_without_metrics_log_no_expensive_metric_is_taken():
    fam = MLP(widths=[8], metrics=["feature_rank"])
    ds = torch_engine.run(fam, _parity(), _cfg())
    assert "feature_rank" not in ds and "layer" not in ds.dims
    assert json.loads(ds.attrs["metrics_steps"]) == []
    assert "metrics_log" not in json.loads(ds.attrs["config"])["search"]


METRICS_STUDY = """
name = "mlp_metrics"
[task]
name = "parity"
n_points = 100
n_train = 60
[model]
family = "mlp"
widths = [8, 8]
{metrics}
[search]
optimizer = "adamw"
optimizer_args = {{ learning_rate = 1e-2, weight_decay = 0.01 }}
steps = 40
batch_size = 16
log = {{ segments = [[0, 1], [5, 10]] }}
{metrics_log}
[sweep]
seeds = [0]
"""


def test_a_study_with_metrics_and_segments_runs(write_study):
    from bayesgrok.study.runner import execute

    path = write_study(METRICS_STUDY.format(metrics='metrics = ["feature_rank"]',
                                            metrics_log="metrics_log = { every = 20 }"))
    study = load_study(path)
    ds = execute(study.runs[0])
    assert ds["step"].values.tolist() == [0, 1, 2, 3, 4, 10, 20, 30, 40]
    assert ds["feature_rank"].dims == ("seed", "step", "layer")
    assert np.isfinite(ds["feature_rank"].sel(step=[0, 20, 40])).all()
    assert ds["feature_rank"].sel(step=[1, 10, 30]).isnull().all()
    assert study.runs[0].config["model"]["metrics"] == ["feature_rank"]


@pytest.mark.parametrize(("metrics", "metrics_log", "key", "message"), [
    ('metrics = ["feature_rank"]', "", "model.metrics", "never be measured"),
    ("", "metrics_log = { every = 20 }", "search.metrics_log", "no metrics to measure"),
    ('metrics = ["rank"]', "metrics_log = { every = 20 }", "model.metrics",
     "allowed: feature_rank, linear_probe"),
])
def test_metrics_mistakes_in_a_study_name_the_key(write_study, metrics, metrics_log, key,
                                                   message):
    path = write_study(METRICS_STUDY.format(metrics=metrics, metrics_log=metrics_log))
    with pytest.raises(StudyError, match=message) as info:
        load_study(path)
    assert info.value.key == key


def test_metrics_log_is_refused_for_a_jax_family(write_study):
    text = """
    name = "jax_metrics"
    [task]
    name = "linear_sign"
    [model]
    card = "miller_linear"
    [search]
    optimizer = "sgd"
    steps = 10
    metrics_log = { every = 5 }
    [sweep]
    seeds = [0]
    """
    with pytest.raises(StudyError, match="no expensive metrics") as info:
        load_study(write_study(text))
    assert info.value.key == "search.metrics_log"
