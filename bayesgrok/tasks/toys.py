"""One-dimensional toy tasks of Miller, O'Neill & Bui (REFERENCE.md A1, A2, A5).

- :func:`linear_sign`: linear regression on ``[x, x^2, x^3, sin(100 x)]``, judged by sign (A1).
- :func:`zero_one`: the zero-one step ``y = 1[x > 0]`` for GP classification (A2).
- :func:`noisy_sine`: ``y = sin(2x) + noise`` for exact GP regression (A5).
"""

from __future__ import annotations

import numpy as np

from bayesgrok.tasks._checks import check_int, check_train_size, random_split
from bayesgrok.tasks.published import (
    Seeding,
    check_seeding,
    legacy_centred_uniform,
    legacy_noisy_sine,
    torch_split,
)
from bayesgrok.tasks.split import Split

LINEAR_SIGN_FEATURES: tuple[str, ...] = ("x", "x^2", "x^3", "sin(100x)")


def linear_sign_features(x: np.ndarray) -> np.ndarray:
    """Feature map of task A1: the columns ``[x, x^2, x^3, sin(100 x)]``.

    Parameters
    ----------
    x
        Raw inputs, shape ``(n,)``.

    Returns
    -------
    numpy.ndarray
        Float64 features, shape ``(n, 4)``.

    Examples
    --------
    >>> import numpy as np
    >>> linear_sign_features(np.array([0.5, -1.0]))[:, :3]
    array([[ 0.5  ,  0.25 ,  0.125],
           [-1.   ,  1.   , -1.   ]])
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    return np.stack([x, x**2, x**3, np.sin(100.0 * x)], axis=1)


def linear_sign(
    seed: int,
    n_points: int = 100,
    n_train: int = 2,
    slope: float = 0.3,
    seeding: Seeding = "bayesgrok",
) -> Split:
    """Linear regression whose accuracy is judged by sign (REFERENCE.md A1).

    ``x ~ U(-0.5, 0.5)`` (``n_points`` draws), target ``y = slope * x``; the inputs are the
    features ``[x, x^2, x^3, sin(100 x)]``. The first ``n_train`` points train, the rest
    validate. A prediction is correct when its sign matches the target's.

    With ``seeding="published"`` the data are the published code's:
    ``np.random.seed(seed); np.random.rand(n_points, 1) - 0.5`` cast to float32, and the
    target and the features computed in float32 as the published code does (then stored
    as float64). With ``"bayesgrok"``: ``numpy.random.default_rng(seed).uniform``, float64.

    Parameters
    ----------
    seed
        The seed of the generator chosen by ``seeding``.
    n_points
        Number of points drawn.
    n_train
        Number of leading points used for training (``1 <= n_train < n_points``).
    slope
        Slope of the target line.
    seeding
        ``"published"`` (numpy's legacy generator, as tiny-gen) or ``"bayesgrok"``.

    Returns
    -------
    Split
        Regression split with ``accuracy="sign"``; ``metadata`` holds the raw ``x_train``
        and ``x_val``, the feature names and the parameters.

    Examples
    --------
    >>> s = linear_sign(0)
    >>> s.x_train.shape, s.x_val.shape, s.accuracy
    ((2, 4), (98, 4), 'sign')
    >>> bool(np.allclose(s.y_train, 0.3 * s.metadata["x_train"]))
    True
    >>> p = linear_sign(0, seeding="published")
    >>> round(float(p.metadata["x_train"][0]), 6)  # np.random.seed(0); np.random.rand() - 0.5
    0.048814
    """
    n_points = check_int("linear_sign", "n_points", n_points, minimum=2)
    n_train = check_train_size("linear_sign", n_train, n_points)
    seeding = check_seeding("linear_sign", seeding)
    slope = float(slope)
    if seeding == "published":
        x32 = legacy_centred_uniform(seed, n_points)[:, 0]
        y = (np.float32(slope) * x32).astype(np.float64)
        features = np.stack(
            [x32, x32**2, x32**3, np.sin(np.float32(100.0) * x32)], axis=1
        ).astype(np.float64)
        x = x32.astype(np.float64)
    else:
        rng = np.random.default_rng(seed)
        x = rng.uniform(-0.5, 0.5, size=n_points)
        y = slope * x
        features = linear_sign_features(x)
    return Split(
        name="linear_sign",
        x_train=features[:n_train],
        y_train=y[:n_train],
        x_val=features[n_train:],
        y_val=y[n_train:],
        kind="regression",
        accuracy="sign",
        seed=seed,
        metadata={
            "x_train": x[:n_train].copy(),
            "x_val": x[n_train:].copy(),
            "features": list(LINEAR_SIGN_FEATURES),
            "n_points": n_points,
            "n_train": n_train,
            "slope": slope,
            "seeding": seeding,
        },
    )


def zero_one(
    seed: int,
    n_points: int = 100,
    n_train: int = 20,
    n_val: int = 20,
    seeding: Seeding = "bayesgrok",
) -> Split:
    """The zero-one step task for GP classification (REFERENCE.md A2).

    ``x ~ U(-0.5, 0.5)`` (``n_points`` draws, shape ``(n, 1)``), label ``y = 1[x > 0]``.
    The first ``n_train`` points train and the last ``n_val`` validate; any points in
    between are unused. With ``seeding="published"``, ``x`` is the published code's
    ``np.random.seed(seed); np.random.rand(n_points, 1) - 0.5`` cast to float32 (the
    published seeds are 42, 52, 62, 72, 82); with ``"bayesgrok"``,
    ``numpy.random.default_rng(seed).uniform`` in float64.

    Parameters
    ----------
    seed
        The seed of the generator chosen by ``seeding``.
    n_points
        Number of points drawn.
    n_train
        Number of leading points used for training.
    n_val
        Number of trailing points used for validation (``n_train + n_val <= n_points``).
    seeding
        ``"published"`` (numpy's legacy generator, as tiny-gen) or ``"bayesgrok"``.

    Returns
    -------
    Split
        Binary classification split (``n_classes=2``, ``accuracy="argmax"``).

    Examples
    --------
    >>> s = zero_one(0)
    >>> s.x_train.shape, s.x_val.shape, s.n_classes
    ((20, 1), (20, 1), 2)
    >>> bool(np.array_equal(s.y_val, (s.x_val[:, 0] > 0).astype(int)))
    True
    """
    n_points = check_int("zero_one", "n_points", n_points, minimum=2)
    n_train = check_int("zero_one", "n_train", n_train, minimum=1)
    n_val = check_int("zero_one", "n_val", n_val, minimum=1)
    if n_train + n_val > n_points:
        raise ValueError(
            f"task 'zero_one': n_train + n_val ({n_train} + {n_val}) exceeds n_points ({n_points})"
        )
    seeding = check_seeding("zero_one", seeding)
    if seeding == "published":
        x = legacy_centred_uniform(seed, n_points).astype(np.float64)
    else:
        x = np.random.default_rng(seed).uniform(-0.5, 0.5, size=(n_points, 1))
    y = (x[:, 0] > 0).astype(np.int64)
    return Split(
        name="zero_one",
        x_train=x[:n_train],
        y_train=y[:n_train],
        x_val=x[n_points - n_val :],
        y_val=y[n_points - n_val :],
        kind="classification",
        n_classes=2,
        accuracy="argmax",
        seed=seed,
        metadata={"n_points": n_points, "n_train": n_train, "n_val": n_val, "seeding": seeding},
    )


def noisy_sine(
    seed: int = 42,
    n_points: int = 100,
    n_train: int = 50,
    noise: float = 0.1,
    low: float = -1.5,
    high: float = 1.5,
    seeding: Seeding = "bayesgrok",
) -> Split:
    """Noisy sine regression for exact GP regression (REFERENCE.md A5).

    ``x ~ U(low, high)``, ``y = sin(2x) + N(0, noise^2)``, split at random into
    ``n_train`` training and ``n_points - n_train`` validation points.

    With ``seeding="published"`` the data and the split are the published code's:
    ``np.random.seed(seed)``, ``x = rand(n) * (high - low) - (high - low) / 2`` (centred on
    0, as the published ``NoisySineWaveTask``), ``y = sin(2 pi x / pi) + noise * randn(n)``,
    then ``torch.manual_seed(seed)`` and ``random_split`` (``torch.randperm``) for the
    split. With ``"bayesgrok"``: one ``numpy.random.default_rng(seed)`` for all three.

    Parameters
    ----------
    seed
        The seed of the generator(s) chosen by ``seeding`` (the paper uses 42).
    n_points
        Number of points drawn.
    n_train
        Number of training points (``1 <= n_train < n_points``).
    noise
        Standard deviation of the Gaussian observation noise (``>= 0``).
    low, high
        Bounds of the uniform input distribution (``low < high``).
    seeding
        ``"published"`` (numpy's legacy generator and torch's, as tiny-gen) or
        ``"bayesgrok"``.

    Returns
    -------
    Split
        Regression split with ``accuracy=None``; inputs have shape ``(n, 1)``.

    Examples
    --------
    >>> s = noisy_sine()
    >>> s.x_train.shape, s.x_val.shape, s.accuracy is None
    ((50, 1), (50, 1), True)
    >>> bool(np.abs(s.y_train - np.sin(2 * s.x_train[:, 0])).max() < 1.0)
    True
    """
    n_points = check_int("noisy_sine", "n_points", n_points, minimum=2)
    n_train = check_train_size("noisy_sine", n_train, n_points)
    noise, low, high = float(noise), float(low), float(high)
    if not noise >= 0:
        raise ValueError(f"task 'noisy_sine': noise must be >= 0, got {noise!r}")
    if not low < high:
        raise ValueError(f"task 'noisy_sine': need low < high, got low={low!r}, high={high!r}")
    seeding = check_seeding("noisy_sine", seeding)
    if seeding == "published":
        x_flat, y = legacy_noisy_sine(seed, n_points, low, high, noise, 1.0 / np.pi)
        x = x_flat[:, None]
        train, val = torch_split(seed, n_points, n_train)
    else:
        rng = np.random.default_rng(seed)
        x = rng.uniform(low, high, size=(n_points, 1))
        y = np.sin(2.0 * x[:, 0]) + rng.normal(0.0, noise, size=n_points)
        train, val = random_split(rng, n_points, n_train)
    return Split(
        name="noisy_sine",
        x_train=x[train],
        y_train=y[train],
        x_val=x[val],
        y_val=y[val],
        kind="regression",
        accuracy=None,
        seed=seed,
        metadata={
            "n_points": n_points,
            "n_train": n_train,
            "noise": noise,
            "low": low,
            "high": high,
            "seeding": seeding,
            "train_index": train,
            "val_index": val,
        },
    )
