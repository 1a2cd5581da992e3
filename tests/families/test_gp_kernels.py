"""The matrix-form RBF engine gives GPJax's own Gram matrices and gradients."""

import gpjax as gpx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bayesgrok.families.gp_kernels import MatrixRBFComputation, rbf_kernel


def _inputs(n: int, m: int, d: int) -> tuple[jax.Array, jax.Array]:
    kx, ky = jax.random.split(jax.random.PRNGKey(3))
    # {0, 1} bits and Gaussian columns, as in the parity tasks
    x = jnp.concatenate([jax.random.bernoulli(kx, 0.5, (n, d // 2)).astype(jnp.float64),
                         jax.random.normal(kx, (n, d - d // 2))], axis=1)
    y = jax.random.normal(ky, (m, d))
    return x, y


@pytest.mark.parametrize("ard", [True, False])
def test_values_and_gradients_match_gpjax_default_engine(ard):
    with jax.enable_x64(True):
        x, y = _inputs(30, 17, 6)
        raw = jnp.linspace(-0.5, 1.0, 6) if ard else jnp.asarray(0.3)

        def matrices(raw, variance, matrix_form):
            k = rbf_kernel(jnp.exp(raw), variance, matrix_form=matrix_form)
            return k.gram(x).as_matrix(), k.cross_covariance(x, y)

        values = jax.jit(matrices, static_argnums=2)  # as the engines run them
        fast, slow = values(raw, 1.7, True), values(raw, 1.7, False)
        for a, b in zip(fast, slow, strict=True):
            np.testing.assert_array_equal(a, b)  # GPJax's values, bit for bit
        assert fast[1].shape == (30, 17)

        def loss(raw, variance, matrix_form):
            gram, cross = matrices(raw, variance, matrix_form)
            weights = jnp.cos(jnp.arange(gram.size)).reshape(gram.shape)
            return jnp.sum(weights * gram) + jnp.sum(jnp.sin(cross))

        # compiled: op by op, the matrix form's gradient takes 7 s here, compiled under 1 s
        grad = jax.jit(jax.grad(loss, argnums=(0, 1)), static_argnums=2)
        g_fast, g_slow = grad(raw, 1.7, True), grad(raw, 1.7, False)
    for a, b in zip(g_fast, g_slow, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
        assert np.all(np.abs(np.asarray(a)) > 1e-6)  # gradients really flow


def test_large_scaled_inputs_keep_gpjax_values_and_gradients():
    """|x / 0.05|^2 ~ 1e4: the matrix form alone loses digits to cancellation."""
    with jax.enable_x64(True):
        x, _ = _inputs(20, 1, 40)

        def gram(raw, matrix_form):
            return rbf_kernel(jnp.exp(raw), 0.9, matrix_form).gram(x).as_matrix()

        raw = jnp.full(40, jnp.log(0.05))
        values = jax.jit(gram, static_argnums=1)  # as the engines run them
        fast, slow = values(raw, True), values(raw, False)
        np.testing.assert_array_equal(fast, slow)
        np.testing.assert_array_equal(np.diag(fast), 0.9)  # the variance, exactly
        g = [jax.jit(jax.grad(lambda r, f=f: jnp.sum(gram(r, f) ** 2)))(raw)
             for f in (True, False)]
    np.testing.assert_allclose(g[0], g[1], rtol=1e-8, atol=1e-12)


def test_other_kernels_are_refused_by_name():
    kernel = gpx.kernels.Matern52(compute_engine=MatrixRBFComputation())
    with pytest.raises(TypeError, match="Matern52"):
        kernel.gram(jnp.zeros((3, 1)))
