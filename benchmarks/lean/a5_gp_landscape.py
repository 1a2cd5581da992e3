"""A lean single-program JAX version of REFERENCE A5, for timing bayesgrok against.

The published data (numpy's legacy generator after ``np.random.seed(42)``, the 50/50
split by ``torch.randperm`` after ``torch.manual_seed(42)``), an exact GP with constant
mean, scaled RBF kernel and Gaussian noise ``softplus(raw) + 1e-4``, all in float64. The
three starts A, B, C train together (``vmap``) for 3000 Adam steps at learning rate 0.04
in one ``jit``, measuring error, complexity and train and validation MSE every 5 steps
inside the scan; then the 100 x 100 landscape of error and complexity, vmapped. No
files, no checks, no records: the least work that gives A5's numbers.

    .venv/bin/python benchmarks/lean/a5_gp_landscape.py
"""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import torch  # noqa: E402

STEPS, EVERY, JITTER = 3000, 5, 1e-6
STARTS = jnp.array([[-6.0, -4.0], [-6.0, 4.0], [0.0, 2.0]])  # log lengthscale, log outputscale


def data() -> tuple[jnp.ndarray, ...]:
    rng = np.random.RandomState(42)
    x = rng.rand(100) * 3.0 - 1.5
    y = np.sin(2 * x) + 0.1 * rng.randn(100)
    perm = torch.randperm(100, generator=torch.Generator().manual_seed(42)).numpy()
    tr, va = perm[:50], perm[50:]
    return tuple(jnp.asarray(a) for a in (x[tr], y[tr], x[va], y[va]))


def kernel(p: dict, a: jnp.ndarray, b: jnp.ndarray) -> jnp.ndarray:
    d = (a[:, None] - b[None, :]) / jnp.exp(p["log_ls"])
    return jnp.exp(p["log_os"]) * jnp.exp(-0.5 * d**2)


def noise(p: dict) -> jnp.ndarray:
    return jax.nn.softplus(p["raw_noise"]) + 1e-4


def terms(p: dict, x: jnp.ndarray, y: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    n = x.shape[0]
    k = kernel(p, x, x) + (noise(p) + JITTER) * jnp.eye(n)
    chol = jnp.linalg.cholesky(k)
    alpha = jax.scipy.linalg.cho_solve((chol, True), y - p["mean"])
    error = 0.5 * jnp.dot(y - p["mean"], alpha) / n
    complexity = jnp.sum(jnp.log(jnp.diag(chol))) / n
    return error, complexity


def mse(p: dict, x: jnp.ndarray, y: jnp.ndarray, xs: jnp.ndarray, ys: jnp.ndarray) -> jnp.ndarray:
    n = x.shape[0]
    k = kernel(p, x, x) + (noise(p) + JITTER) * jnp.eye(n)
    alpha = jnp.linalg.solve(k, y - p["mean"])
    return jnp.mean((p["mean"] + kernel(p, xs, x) @ alpha - ys) ** 2)


def main() -> None:
    xt, yt, xv, yv = data()
    opt = optax.adam(0.04)

    def objective(p: dict) -> jnp.ndarray:
        return sum(terms(p, xt, yt))

    def train(start: jnp.ndarray) -> tuple[dict, dict]:
        p = {"log_ls": start[0], "log_os": start[1], "raw_noise": jnp.asarray(0.0),
             "mean": jnp.asarray(0.0)}

        def step(carry: tuple, t: jnp.ndarray) -> tuple:
            p, s = carry
            logged = jax.lax.cond(
                t % EVERY == 0,
                lambda p: jnp.stack([*terms(p, xt, yt), mse(p, xt, yt, xt, yt),
                                     mse(p, xt, yt, xv, yv)]),
                lambda p: jnp.zeros(4), p)
            g = jax.grad(objective)(p)
            u, s = opt.update(g, s, p)
            return (optax.apply_updates(p, u), s), logged

        (p, _), logs = jax.lax.scan(step, (p, opt.init(p)), jnp.arange(STEPS + 1))
        return p, logs

    final, logs = jax.jit(jax.vmap(train))(STARTS)
    grid_ls, grid_os = jnp.meshgrid(jnp.linspace(-7, 4, 100), jnp.linspace(-5, 5, 100))
    held = {"raw_noise": jnp.asarray(0.0), "mean": jnp.asarray(0.0)}

    def at(ls: jnp.ndarray, os: jnp.ndarray) -> jnp.ndarray:
        return jnp.stack(terms({"log_ls": ls, "log_os": os, **held}, xt, yt))

    surface = jax.jit(jax.vmap(at))(grid_ls.ravel(), grid_os.ravel())
    logs, surface = jax.device_get((logs, surface))
    val_mse = logs[:, ::EVERY, 3]
    print("final validation MSE per start:", np.round(val_mse[:, -1], 5).tolist(),
          "landscape", surface.shape)


if __name__ == "__main__":
    main()
