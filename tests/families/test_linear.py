"""The linear family (REFERENCE A1): its terms, and the grokking phenomenon on a short run."""

import jax.numpy as jnp
import numpy as np
import pytest

from bayesgrok.analysis import grokking_gap
from bayesgrok.families import FamilyParameterError, make_family
from bayesgrok.families.linear import LinearRegression
from bayesgrok.search import jax_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.contract import Batch
from bayesgrok.tasks import make_task


def test_terms_match_the_a1_loss():
    fam = LinearRegression()
    split = make_task("linear_sign", seed=0)
    w = fam.init(None, split)
    train = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
    sse = float(np.sum((split.x_train @ np.asarray(w) - split.y_train) ** 2))
    assert float(fam.error(w, train, train)) == pytest.approx(sse / 0.002 / 2, rel=1e-5)
    assert float(fam.complexity(w, train)) == pytest.approx(
        (5e-4**2 + 3 * 0.81) / 0.5 / 2, rel=1e-5
    )
    np.testing.assert_allclose(w, [5e-4, 0.9, 0.9, 0.9])


def test_random_initial_weights_follow_the_seed():
    import jax

    fam = LinearRegression(initial_weights=None, init_scale=2.0)
    split = make_task("linear_sign", seed=0)
    a = fam.init(jax.random.PRNGKey(0), split)
    b = fam.init(jax.random.PRNGKey(1), split)
    assert a.shape == (4,) and not np.allclose(a, b)


def test_bad_parameters_are_refused():
    with pytest.raises(FamilyParameterError):
        make_family("linear", noise_variance=-1.0)
    with pytest.raises(FamilyParameterError, match="no parameter 'lr'"):
        make_family("linear", lr=0.1)
    with pytest.raises(ValueError, match="features"):
        LinearRegression(initial_weights=[1.0]).init(None, make_task("linear_sign", seed=0))


# Seeds 0, 1 and 4 of A1 fit their two training points within a few epochs and
# generalise hundreds of epochs later (measured: validation onsets 134, 609, 571).
GROKKING_SEEDS = [0, 1, 4]


def _run(weight: float, epochs: int = 1000):
    splits = [make_task("linear_sign", seed=s) for s in GROKKING_SEEDS]
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3}, epochs=epochs,
                       log={"every": 1})
    return jax_engine.run(LinearRegression(complexity_weight=weight), splits, cfg)


def test_a1_groks_training_accuracy_long_before_validation():
    gap = grokking_gap(_run(1.0))
    assert bool(gap["train_crossed"].all()) and bool(gap["val_crossed"].all())
    assert (gap["train_onset"] <= 10).all()
    assert (gap["gap"] >= 100).all()


def test_a1_ablation_fits_but_does_not_generalise():
    ds = _run(0.0, epochs=1000)
    gap = grokking_gap(ds)
    assert bool(gap["train_crossed"].all())
    assert not bool(gap["val_crossed"].any())
    # without the complexity term nothing moves once the two points are fitted
    assert float(ds["error"].isel(step=-1).max()) < 1e-6
