"""Matrix-based information metrics of features under input noise (REFERENCE C4, Tan & Huang).

Entropy of a Gram matrix
    For a positive semi-definite ``R`` (``n x n``) with eigenvalues ``l_i`` of ``R / tr(R)``
    (``R / n`` when ``R`` has a unit diagonal; eigenvalues below the rounding level
    ``n * eps * max l``, negative ones included, are set to 0), the matrix Renyi entropy of
    order ``alpha`` is ``H_a(R) = 1/(1-a) log sum_i l_i^a``; ``a = 1`` is its limit,
    the von Neumann entropy ``-sum_i l_i log l_i`` (``0 log 0 = 0``). All entropies are in
    nats (natural logarithm). ``H`` lies in ``[0, log n]``: 0 for a rank-one ``R`` (all
    points alike), ``log n`` for the identity (all points orthogonal).
Joint entropy and mutual information
    ``H(R1, R2) = H(R1 o R2)`` (``o`` the Hadamard product, renormalised to unit trace) and
    ``I(R1; R2) = H(R1) + H(R2) - H(R1 o R2)``. For unit-diagonal ``R1, R2`` the spectrum of
    ``R1 o R2`` is majorised by each factor's, so ``I(R1; R2) <= min(H(R1), H(R2))``; in
    particular ``I(R; R) = 2 H(R) - H(R o R) <= H(R)``, with equality when ``R o R = R``
    (entries 0 or 1).

Metrics of :func:`information_metrics` (C4). The paper names PE, PMI, MID and ED but gives the
last two only as "the differences between the clean and perturbed quantities", without a
formula or a sign. Per batch, with ``R_c`` the Gram matrix of the L2-normalised features of the
clean batch and ``R_p`` that of the same batch perturbed, this module uses

* ``entropy_clean = H(R_c)``;
* ``pe  = H(R_p)`` (perturbed entropy);
* ``pmi = I(R_c; R_p)`` (perturbed mutual information);
* ``mi_clean = I(R_c; R_c) = 2 H(R_c) - H(R_c o R_c)``, the value ``pmi`` takes without noise;
* ``ed  = H(R_c) - H(R_p) = entropy_clean - pe`` (entropy difference);
* ``mid = I(R_c; R_c) - I(R_c; R_p) = mi_clean - pmi`` (mutual-information difference).

Every difference is *clean minus perturbed*, and the clean counterpart of each perturbed
quantity is that quantity evaluated at zero noise (``R_p = R_c``). Hence ``ed`` and ``mid``
are exactly 0 when the noise does not move the features, and their size measures how
non-robust the representation is, which is what the paper's use of them ("small MID and ED
predict grokking") needs. ``I(R_c; R_c)`` rather than ``H(R_c)`` is the reference for
``mid`` because with this estimator ``I(R; R) != H(R)`` for general ``R``, so
``H(R_c) - pmi`` would not vanish at zero noise. Typical signs: both are ``O(noise)``, of
either sign, for small noise; noise large enough to decorrelate the clean and perturbed
features gives ``pmi < mi_clean`` (``mid > 0``, growing with the noise); ``ed`` has no
reliable sign (strong noise tends to spread the features, ``pe > entropy_clean``,
``ed < 0``, but saturating units can do the opposite), so compare its magnitude.
Every value returned is the mean over batches of the per-batch value.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

_TINY = 1e-300


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix ``Z Z^T`` of the L2-normalised rows ``Z`` of ``features``, in float64.

    Parameters
    ----------
    features
        An ``(n, k)`` feature matrix, one row per data point.

    Returns
    -------
    torch.Tensor
        ``(n, n)`` float64, symmetric positive semi-definite, with cosine similarities off the
        diagonal and a unit diagonal. A zero row stays zero (its row, column and diagonal entry
        are 0) instead of producing NaN.

    Examples
    --------
    >>> gram_matrix(torch.tensor([[3.0, 4.0], [0.0, 2.0], [0.0, 0.0]]))
    tensor([[1.0000, 0.8000, 0.0000],
            [0.8000, 1.0000, 0.0000],
            [0.0000, 0.0000, 0.0000]], dtype=torch.float64)
    """
    if features.ndim != 2:
        raise ValueError(f"features must be n x k, got shape {tuple(features.shape)}")
    z = features.detach().to(torch.float64)
    norms = torch.linalg.vector_norm(z, dim=1, keepdim=True)
    z = torch.where(norms > 0, z / norms.clamp_min(_TINY), torch.zeros_like(z))
    return z @ z.T


def _unit_trace_spectrum(r: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of ``r / tr(r)`` (float64, symmetrised), those below rounding set to 0."""
    if r.ndim != 2 or r.shape[0] != r.shape[1]:
        raise ValueError(f"R must be a square matrix, got shape {tuple(r.shape)}")
    r = r.detach().to(torch.float64)
    trace = torch.trace(r)
    if not trace > 0:
        raise ValueError(f"R must have a positive trace, got {trace.item()}")
    r = (r + r.T) / (2 * trace)
    lam = torch.linalg.eigvalsh(r)
    tol = r.shape[0] * torch.finfo(torch.float64).eps * lam.max()  # rounding noise
    return torch.where(lam > tol, lam, torch.zeros_like(lam))


def _check_alpha(alpha: float) -> None:
    if not alpha > 0 or alpha == float("inf"):
        raise ValueError(f"alpha must be positive and finite, got {alpha}")


def matrix_renyi_entropy(r: torch.Tensor, alpha: float = 1.0) -> float:
    """Matrix Renyi entropy ``H_a(R) = 1/(1-a) log tr((R/tr R)^a)``, in nats.

    Computed from the eigenvalues ``l`` of ``R / tr(R)`` (those below ``n * eps * max l``,
    negatives from rounding included, set to 0, so rank-deficient ``R`` are exact for every
    order). ``alpha = 1`` gives the von Neumann entropy ``-sum l log l``; for other ``alpha`` the
    value is evaluated as ``log1p(sum l expm1((a-1) log l)) / (1-a)``, which is exact and
    stays accurate as ``alpha -> 1``, so the entropy is continuous in ``alpha``.

    Parameters
    ----------
    r
        A positive semi-definite ``(n, n)`` matrix with positive trace (a :func:`gram_matrix`).
    alpha
        The order, positive and finite.

    Returns
    -------
    float
        The entropy, in ``[0, log n]``.

    Examples
    --------
    >>> import math
    >>> round(matrix_renyi_entropy(torch.eye(4)) / math.log(4), 12)
    1.0
    >>> round(matrix_renyi_entropy(torch.ones(4, 4)), 12)
    0.0
    >>> blocks = torch.block_diag(torch.ones(2, 2), torch.ones(2, 2))
    >>> round(matrix_renyi_entropy(blocks, alpha=2.0) / math.log(2), 12)
    1.0
    """
    _check_alpha(alpha)
    lam = _unit_trace_spectrum(r)
    lam = lam[lam > 0]
    log_lam = torch.log(lam)
    if alpha == 1.0:
        return float(-(lam * log_lam).sum())
    excess = (lam * torch.expm1((alpha - 1.0) * log_lam)).sum()  # sum l^a - 1
    return float(torch.log1p(excess) / (1.0 - alpha))


def matrix_joint_entropy(r1: torch.Tensor, r2: torch.Tensor, alpha: float = 1.0) -> float:
    """Matrix joint entropy ``H(R1 o R2)`` of the Hadamard product, renormalised, in nats.

    Parameters
    ----------
    r1, r2
        Positive semi-definite ``(n, n)`` matrices of the same points (unit diagonals, as
        from :func:`gram_matrix`); their Hadamard product is positive semi-definite (Schur).
    alpha
        The Renyi order.

    Returns
    -------
    float
        ``matrix_renyi_entropy(r1 * r2, alpha)``.

    Examples
    --------
    >>> import math
    >>> a = torch.kron(torch.eye(2), torch.ones(3, 3))  # 2 groups of 3
    >>> b = torch.kron(torch.ones(2, 2), torch.eye(3))  # 3 groups, across them
    >>> round(matrix_joint_entropy(a, b) / math.log(6), 12)
    1.0
    """
    if r1.shape != r2.shape:
        raise ValueError(f"R1 and R2 differ in shape: {tuple(r1.shape)}, {tuple(r2.shape)}")
    return matrix_renyi_entropy(r1.to(torch.float64) * r2.to(torch.float64), alpha)


def matrix_mutual_information(r1: torch.Tensor, r2: torch.Tensor, alpha: float = 1.0) -> float:
    """Matrix mutual information ``I(R1; R2) = H(R1) + H(R2) - H(R1 o R2)``, in nats.

    Parameters
    ----------
    r1, r2
        Positive semi-definite ``(n, n)`` unit-diagonal matrices of the same points.
    alpha
        The Renyi order used for all three entropies.

    Returns
    -------
    float
        Symmetric in ``r1, r2``; 0 when one of them is all ones (it carries no information);
        at most ``min(H(R1), H(R2))`` for unit-diagonal inputs.

    Examples
    --------
    >>> import math
    >>> a = torch.kron(torch.eye(2), torch.ones(3, 3))
    >>> b = torch.kron(torch.ones(2, 2), torch.eye(3))
    >>> round(matrix_mutual_information(a, b), 12)  # independent groupings
    0.0
    >>> round(matrix_mutual_information(a, a) / math.log(2), 12)  # 0/1 entries: I(A;A) = H(A)
    1.0
    """
    return (matrix_renyi_entropy(r1, alpha) + matrix_renyi_entropy(r2, alpha)
            - matrix_joint_entropy(r1, r2, alpha))


def _batches(n: int, batch_size: int, n_batches: int | None) -> list[slice]:
    """Consecutive full batches (one batch of all ``n`` points when ``n < batch_size``)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if n_batches is not None and n_batches < 1:
        raise ValueError(f"n_batches must be at least 1 or None, got {n_batches}")
    if n < 2:
        raise ValueError(f"need at least 2 inputs, got {n}")
    if n < batch_size:
        slices = [slice(0, n)]
    else:
        slices = [slice(i, i + batch_size) for i in range(0, n - batch_size + 1, batch_size)]
    return slices if n_batches is None else slices[:n_batches]


def information_metrics(
    features: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    noise_std: float,
    *,
    generator: torch.Generator,
    batch_size: int = 256,
    alpha: float = 1.0,
    n_batches: int | None = None,
    perturbed_features: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
) -> dict[str, float]:
    """Entropy, PE, PMI, MID and ED of features under Gaussian input noise (C4), batch means.

    ``x`` is cut into consecutive batches of ``batch_size`` rows (in order, no shuffling; a
    last incomplete batch is dropped so that all entropies share the scale ``log
    batch_size``, unless ``x`` has fewer rows than ``batch_size``, when it is one batch). For
    each batch ``b`` the clean features are ``features(b)`` and the perturbed ones are
    ``features(b + noise_std * N(0, I))``, the noise drawn from ``generator`` (so a generator
    in the same state gives the same result). The definitions and sign conventions are in the
    module docstring: ``ed = entropy_clean - pe`` and ``mid = mi_clean - pmi``. Everything
    runs under ``torch.no_grad()``.

    Parameters
    ----------
    features
        Maps an input batch to an ``(batch, k)`` feature matrix, for example a model's
        penultimate layer (C4's default). Non-2-d outputs are flattened per row.
    x
        The training inputs, one row (leading index) per point.
    noise_std
        Standard deviation of the additive input noise (``>= 0``); 0 gives ``pe =
        entropy_clean``, ``pmi = mi_clean``, ``ed = mid = 0``. Unused when
        ``perturbed_features`` is given.
    generator
        Source of the noise; advanced by the call.
    batch_size
        Rows per batch (the size ``n`` of every Gram matrix).
    alpha
        Renyi order of every entropy (the paper uses 1).
    n_batches
        Use only the first this many batches; all of them when ``None``.
    perturbed_features
        When given, ``perturbed_features(b, generator)`` returns the perturbed features of
        batch ``b`` instead of ``features(b + noise)``. Use it where Gaussian noise cannot be
        added to the inputs, e.g. integer token ids whose noise enters at the embeddings; it
        owns its noise level and must draw its noise from ``generator`` to stay deterministic.

    Returns
    -------
    dict of str to float
        ``entropy_clean``, ``pe``, ``pmi``, ``mi_clean``, ``mid``, ``ed`` (nats), and
        ``n_batches``, the number of batches averaged.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(64, 5, generator=g)
    >>> w = torch.randn(5, 8, generator=g)
    >>> out = information_metrics(lambda b: torch.tanh(b @ w), x, 0.0, generator=g,
    ...                           batch_size=32)
    >>> out["n_batches"], round(out["ed"], 12), round(out["mid"], 12)
    (2, 0.0, 0.0)
    >>> out = information_metrics(lambda b: torch.tanh(b @ w), x, 1.0, generator=g,
    ...                           batch_size=32)
    >>> out["pmi"] < out["mi_clean"], out["mid"] > 0  # noise loses shared information
    (True, True)
    """
    if not noise_std >= 0:
        raise ValueError(f"noise_std must be non-negative, got {noise_std}")
    _check_alpha(alpha)
    if perturbed_features is None and not torch.is_floating_point(x):
        raise TypeError(f"cannot add Gaussian noise to {x.dtype} inputs: pass "
                        "perturbed_features that injects the noise (e.g. at the embeddings)")
    slices = _batches(x.shape[0], batch_size, n_batches)
    keys = ("entropy_clean", "pe", "pmi", "mi_clean", "mid", "ed")
    totals = dict.fromkeys(keys, 0.0)
    with torch.no_grad():
        for sl in slices:
            batch = x[sl]
            clean = features(batch)
            if perturbed_features is not None:
                noisy = perturbed_features(batch, generator)
            else:
                noise = torch.randn(batch.shape, generator=generator,  # the seed's draws,
                                    dtype=batch.dtype).to(batch.device)  # on any device
                noisy = features(batch + noise_std * noise)
            r_c = gram_matrix(clean.reshape(clean.shape[0], -1))
            r_p = gram_matrix(noisy.reshape(noisy.shape[0], -1))
            h_c = matrix_renyi_entropy(r_c, alpha)
            h_p = matrix_renyi_entropy(r_p, alpha)
            pmi = h_c + h_p - matrix_joint_entropy(r_c, r_p, alpha)
            mi_clean = 2 * h_c - matrix_joint_entropy(r_c, r_c, alpha)
            values = (h_c, h_p, pmi, mi_clean, mi_clean - pmi, h_c - h_p)
            for key, value in zip(keys, values, strict=True):
                totals[key] += value
    out = {key: total / len(slices) for key, total in totals.items()}
    out["n_batches"] = len(slices)
    return out
