"""The JAX engine: schema, seeds vectorised, determinism, divergence, minibatch stream."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bayesgrok.families.linear import LinearRegression
from bayesgrok.search import jax_engine, jax_program
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.contract import Batch, JaxFamily
from bayesgrok.tasks import make_task


class Softmax(JaxFamily):
    """Multinomial logistic regression with an L2 complexity, for classification tests."""

    name = "softmax"

    def init(self, key, split):
        return 0.01 * jax.random.normal(key, (split.n_features, split.n_classes))

    def error(self, w, batch, train):
        logp = jax.nn.log_softmax(batch.x @ w)
        return -jnp.mean(jnp.take_along_axis(logp, batch.y[:, None], axis=-1))

    def complexity(self, w, train):
        return 1e-3 * jnp.sum(w**2)

    def predict(self, w, x, train):
        return jax.nn.softmax(x @ w)


class Fragile(JaxFamily):
    """A scalar model p with error p^2, starting at p = seed: with too large a learning
    rate p grows geometrically unless it starts at 0."""

    name = "fragile"

    def init(self, key, split):
        return jnp.asarray(float(split.seed))

    def error(self, p, batch, train):
        return p**2 + 0.0 * jnp.sum(batch.y)

    def complexity(self, p, train):
        return jnp.asarray(0.0)

    def predict(self, p, x, train):
        return jnp.full(x.shape[0], p)


def _linear(seeds, epochs=200, every=10, **family):
    splits = [make_task("linear_sign", seed=s) for s in seeds]
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3}, epochs=epochs,
                       log={"every": every})
    return jax_engine.run(LinearRegression(**family), splits, cfg)


def test_trajectory_has_the_schema():
    ds = _linear([0, 1, 2], epochs=50)
    assert dict(ds.sizes) == {"seed": 3, "step": 6, "feature": 4}
    for var in ("error", "complexity", "objective", "val_error", "train_mse", "val_mse",
                "train_accuracy", "val_accuracy"):
        assert ds[var].dims == ("seed", "step")
    assert ds["weights"].dims == ("seed", "step", "feature")
    assert ds["epoch"].values.tolist() == ds["step"].values.tolist()
    assert list(ds["status"].values) == ["ok"] * 3
    assert ds.attrs["objective_formula"] == "error + complexity"
    np.testing.assert_allclose(ds["objective"], ds["error"] + ds["complexity"], rtol=1e-5)


def test_vectorised_seeds_match_seeds_run_alone():
    together = _linear([0, 3])
    alone = _linear([3])
    np.testing.assert_allclose(together["val_error"].sel(seed=3), alone["val_error"].sel(seed=3),
                               rtol=1e-5)


class SequentialLinear(LinearRegression):
    """The linear family with its seeds run one after another (lax.map) instead of vmap."""

    vectorize_seeds = False


def test_seeds_run_in_sequence_match_vmapped_seeds():
    splits = [make_task("linear_sign", seed=s) for s in (0, 3)]
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3}, epochs=200,
                       log={"every": 10})
    mapped = jax_engine.run(SequentialLinear(), splits, cfg)
    vmapped = jax_engine.run(LinearRegression(), splits, cfg)
    assert not np.allclose(mapped["weights"].sel(seed=0), mapped["weights"].sel(seed=3))
    np.testing.assert_allclose(mapped["weights"], vmapped["weights"], rtol=1e-5)
    np.testing.assert_allclose(mapped["val_error"], vmapped["val_error"], rtol=1e-5)


def test_rerun_is_bit_for_bit_identical():
    a, b = _linear([0, 1]), _linear([0, 1])
    for var in a.data_vars:
        np.testing.assert_array_equal(a[var].values, b[var].values)


def test_logging_schedule_does_not_change_the_training():
    fine = _linear([0], epochs=64, every=1)
    coarse = _linear([0], epochs=64, every=21)
    common = coarse["step"].values
    for var in ("error", "complexity", "val_error", "weights"):  # bit for bit
        np.testing.assert_array_equal(fine[var].sel(step=common), coarse[var])


def test_any_logging_schedule_compiles_one_program(monkeypatch):
    made = []
    init = jax_program.Compiled.__init__

    def remember(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(jax_program.Compiled, "__init__", remember)
    monkeypatch.setattr(jax_program, "_SHARED", jax_program.OrderedDict())
    splits = [make_task("linear_sign", seed=0)]
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3}, steps=300,
                       log={"at": [1, 2, 5, 13, 34, 89, 233]}, snapshots=[7, 100])
    ds = jax_engine.run(LinearRegression(), splits, cfg)
    assert ds["step"].values.tolist() == [0, 1, 2, 5, 13, 34, 89, 233, 300]
    assert made[0]._segment._cache_size() == 1


def test_runs_differing_in_starting_values_share_one_program(monkeypatch):
    monkeypatch.setattr(jax_program, "_SHARED", jax_program.OrderedDict())
    splits = [make_task("linear_sign", seed=0)]
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3}, steps=50,
                       log={"every": 10})
    first = jax_engine.run(LinearRegression(initial_weights=[1.0, 0, 0, 0]), splits, cfg)
    shared = jax_engine.run(LinearRegression(initial_weights=[0.0, 1, 1, 1]), splits, cfg)
    assert len(jax_program._SHARED) == 1
    monkeypatch.setattr(jax_program, "_SHARED", jax_program.OrderedDict())
    alone = jax_engine.run(LinearRegression(initial_weights=[0.0, 1, 1, 1]), splits, cfg)
    np.testing.assert_array_equal(shared["weights"].values, alone["weights"].values)
    assert not np.array_equal(first["weights"].values, shared["weights"].values)
    jax_engine.run(LinearRegression(noise_variance=0.01), splits, cfg)  # a new program
    assert len(jax_program._SHARED) == 2


def test_segment_length_does_not_change_the_results(monkeypatch):
    long = _linear([0, 1], epochs=40, every=3)
    monkeypatch.setattr(jax_engine, "SEGMENT", 7)  # segments end between logged steps
    short = _linear([0, 1], epochs=40, every=3)
    for var in long.data_vars:
        np.testing.assert_array_equal(long[var].values, short[var].values)


def test_complexity_weight_zero_gives_error_objective():
    ds = _linear([0], epochs=20, complexity_weight=0.0)
    np.testing.assert_array_equal(ds["objective"].values, ds["error"].values)
    assert (ds["complexity"] > 0).all()


def test_a_diverging_seed_is_recorded_and_the_others_go_on():
    splits = [make_task("linear_sign", seed=s) for s in (0, 1)]
    # p <- p (1 - 2 lr) = -2 p: p^2 of seed 1 overflows float32 after 64 steps
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1.5}, steps=300,
                       log={"every": 50})
    ds = jax_engine.run(Fragile(), splits, cfg)
    assert ds["status"].sel(seed=0).item() == "ok"
    assert ds["status"].sel(seed=1).item() == "diverged"
    assert "step" in ds["status"].attrs["reasons"]
    assert np.isfinite(ds["error"].sel(seed=0)).all()
    assert np.isnan(ds["error"].sel(seed=1).isel(step=-1))
    assert np.isfinite(ds["error"].sel(seed=1, step=50))  # recorded up to the divergence


def test_classification_records_accuracies_and_learns():
    splits = [make_task("modular", seed=s, operation="add") for s in (0, 1)]
    cfg = SearchConfig(optimizer="adam", optimizer_args={"learning_rate": 0.05}, epochs=20,
                       batch_size=64, log={"every": 50})
    ds = jax_engine.run(Softmax(), splits, cfg)
    assert "train_mse" not in ds and ds.attrs["task_kind"] == "classification"
    assert (ds["train_accuracy"].isel(step=-1) > ds["train_accuracy"].isel(step=0)).all()
    assert ds["epoch"].values[-1] == pytest.approx(20, abs=64 / 600)


def test_minibatch_stream_visits_every_point_once_per_epoch():
    n, batch = 12, 4
    train = Batch(jnp.arange(n, dtype=jnp.float32)[:, None], jnp.arange(n))
    key = jax.random.PRNGKey(0)
    seen = [jax_program.select_batch(train, key, jnp.asarray(t), batch).y for t in range(6)]
    first, second = np.concatenate(seen[:3]), np.concatenate(seen[3:])
    assert sorted(first.tolist()) == list(range(n)) == sorted(second.tolist())
    assert first.tolist() != second.tolist()  # reshuffled between epochs


def test_minibatch_stream_wraps_across_epochs():
    n, batch = 10, 4
    train = Batch(jnp.arange(n, dtype=jnp.float32)[:, None], jnp.arange(n))
    key = jax.random.PRNGKey(1)
    stream = np.concatenate(
        [jax_program.select_batch(train, key, jnp.asarray(t), batch).y for t in range(5)]
    )
    assert sorted(stream[:10].tolist()) == list(range(n))
    assert sorted(stream[10:20].tolist()) == list(range(n))


def _stream_batch_drawn_each_step(train, key, t, batch):
    """The stream as the engine drew it before segments drew each epoch's order once."""
    n = train.x.shape[0]
    start = t * batch
    pos = start + jnp.arange(batch)
    epoch = start // n
    perm_a = jax.random.permutation(jax.random.fold_in(key, epoch), n)
    perm_b = jax.random.permutation(jax.random.fold_in(key, epoch + 1), n)
    idx = jnp.where(pos // n == epoch, perm_a[pos % n], perm_b[pos % n])
    return train.y[idx]


@pytest.mark.parametrize(("n", "batch", "first", "steps"), [(10, 4, 3, 7), (9, 2, 40, 5)])
def test_a_segment_reads_the_same_batches_from_orders_drawn_once(n, batch, first, steps):
    train = Batch(jnp.arange(n, dtype=jnp.float32)[:, None], jnp.arange(n))
    key = jax.random.PRNGKey(5)
    orders = jax_program.epoch_orders(key, jnp.asarray(first), steps, n, batch)
    for t in range(first, first + steps):
        got = jax_program.batch_from_orders(train, orders, jnp.asarray(t), batch).y
        want = _stream_batch_drawn_each_step(train, key, jnp.asarray(t), batch)
        assert got.tolist() == want.tolist(), t


def test_fixed_measuring_draws_give_the_measurements_drawn_at_each_log():
    from bayesgrok.families.bayes_svi import BayesMLPSVI

    split = make_task("parity", 0, n_points=60, n_train=40, n_spurious=5)
    family = BayesMLPSVI(widths=(8,), local_reparameterization=True, n_samples_eval=4)
    params = family.init(jax.random.PRNGKey(0), split)
    train = Batch(jnp.asarray(split.x_train, jnp.float32), jnp.asarray(split.y_train))
    draws = jax.jit(family.fixed_draws, static_argnums=(0, 1))(40, "float32")
    once = jax.jit(lambda p, d: family.error_and_prediction(p, train, train, d))(params, draws)
    each = jax.jit(lambda p: family.error_and_prediction(p, train, train))(params)
    for given, drawn in zip(once, each, strict=True):  # bit for bit, as the engine needs
        assert np.array_equal(given, drawn)
    # (that the pair equals error() and predict() is the method's doctest)


def test_splits_of_different_shapes_are_refused():
    a = make_task("linear_sign", seed=0)
    b = make_task("linear_sign", seed=1, n_train=3)
    with pytest.raises(ValueError, match="same data shapes"):
        jax_engine.run(LinearRegression(), [a, b], SearchConfig(steps=1))


class Noisy(JaxFamily):
    """Error (p - eps)^2 with eps ~ N(0, 1) drawn from the step's key (0 when measuring)."""

    name = "noisy"
    stochastic = True

    def init(self, key, split):
        return jnp.asarray(0.0)

    def error(self, p, batch, train, key=None):
        eps = 0.0 if key is None else jax.random.normal(key)
        return (p - eps) ** 2 + 0.0 * jnp.sum(batch.y)

    def complexity(self, p, train):
        return jnp.asarray(0.0)

    def predict(self, p, x, train):
        return jnp.full(x.shape[0], p)


def test_stochastic_families_get_a_fresh_key_each_step_and_none_when_measured():
    splits = [make_task("linear_sign", seed=s) for s in (0, 1)]
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 0.1}, steps=20,
                       log={"every": 10})
    a = jax_engine.run(Noisy(), splits, cfg)
    b = jax_engine.run(Noisy(), splits, cfg)
    np.testing.assert_array_equal(a["error"].values, b["error"].values)  # reproducible
    final = a["error"].isel(step=-1).values
    assert (final > 0).all()  # the noise moved p away from 0 ...
    assert final[0] != final[1]  # ... differently for each seed
