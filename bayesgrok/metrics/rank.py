"""Feature rank and the tunnel (REFERENCE B2, Fan, Pascanu & Jaggi's "Deep Grokking").

For every Linear layer, ``H`` is that layer's output before the activation on a set of
inputs (``n x width``). Its rank is the numerical rank of the covariance of ``H`` (features
centred, ``1/(n-1)``, float64), counting the singular values above
``sigma_max * width * eps(float64)``: exactly ``torch.linalg.matrix_rank(torch.cov(H.T))``
at its default tolerance. The layers whose rank is below a threshold (300 for width 400)
form the "tunnel"; its length is their number.
"""

from __future__ import annotations

import numpy as np
import torch
import xarray as xr
from torch import nn


def linear_outputs(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """The output of every ``torch.nn.Linear`` of ``model`` on ``x``, in forward order.

    The outputs are caught by forward hooks (removed afterwards) during one forward pass
    under ``torch.no_grad()``, so they are the layers' outputs before any activation. A
    Linear layer called twice appears twice.

    Parameters
    ----------
    model
        Any module containing ``torch.nn.Linear`` layers.
    x
        The inputs, in the model's dtype.

    Returns
    -------
    list of torch.Tensor
        One ``(n, out_features)`` tensor per Linear call, detached.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    >>> outs = linear_outputs(net, torch.randn(4, 3))
    >>> [tuple(h.shape) for h in outs]
    [(4, 5), (4, 2)]
    >>> bool((outs[0] < 0).any())  # before the ReLU
    True
    """
    outputs: list[torch.Tensor] = []

    def hook(_module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        outputs.append(output.detach())

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, nn.Linear)]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return outputs


def feature_rank(h: torch.Tensor) -> int:
    """Numerical rank of the covariance of the features ``h`` (``n x width``), as B2.

    ``C = torch.cov(h.T)`` in float64 (features centred, divided by ``n - 1``); the rank is
    the number of singular values of ``C`` above ``sigma_max * width * eps(float64)``, which
    is the default tolerance of ``torch.linalg.matrix_rank`` (``rtol = max(m, n) * eps``,
    ``atol = 0``) for the ``width x width`` matrix ``C``.

    Parameters
    ----------
    h
        Features, one row per data point.

    Returns
    -------
    int
        The numerical rank, between 0 and ``min(width, n - 1)``.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> h = torch.randn(50, 8, generator=g, dtype=torch.float64)
    >>> feature_rank(h)
    8
    >>> feature_rank(h[:, :3] @ torch.randn(3, 8, generator=g, dtype=torch.float64))
    3
    >>> feature_rank(torch.ones(10, 4))  # constant features have no variance
    0
    """
    if h.ndim != 2:
        raise ValueError(f"features must be n x width, got shape {tuple(h.shape)}")
    cov = torch.atleast_2d(torch.cov(h.detach().to(torch.float64).T))
    sv = torch.linalg.svdvals(cov)
    if sv.numel() == 0:
        return 0
    rtol = cov.shape[-1] * torch.finfo(torch.float64).eps  # matrix_rank's default rtol
    tol = sv.max() * rtol
    return int(torch.count_nonzero(sv > tol))


def feature_ranks(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """:func:`feature_rank` of every Linear layer's output on ``x``, in forward order.

    Parameters
    ----------
    model
        Any module with ``torch.nn.Linear`` layers.
    x
        The inputs (B2: the evaluation set).

    Returns
    -------
    numpy.ndarray
        Integer ranks, shape ``(n_linear_layers,)``.

    Examples
    --------
    >>> with torch.random.fork_rng():
    ...     _ = torch.manual_seed(0)
    ...     net = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 2))
    ...     x = torch.randn(100, 3)
    >>> feature_ranks(net, x)  # 3 inputs give rank 3; 2 outputs give rank 2
    array([3, 2])
    """
    return np.asarray([feature_rank(h) for h in linear_outputs(model, x)], dtype=np.int64)


def tunnel_length(ranks: np.ndarray | xr.DataArray,
                  threshold: float = 300) -> np.ndarray | xr.DataArray:
    """Number of layers whose feature rank is below ``threshold`` (B2: the tunnel).

    Parameters
    ----------
    ranks
        Feature ranks: a numpy array whose last axis runs over the layers, or a
        DataArray with a dimension ``layer`` (reduced by name).
    threshold
        A layer is in the tunnel when its rank is strictly below this (B2: 300).

    Returns
    -------
    numpy.ndarray or xarray.DataArray
        The counts, with the layer axis removed; NaN wherever any layer's rank is NaN
        (steps at which ranks were not measured), in which case the result is float.

    Examples
    --------
    >>> tunnel_length(np.array([400, 250, 12, 10]))
    np.int64(3)
    >>> tunnel_length(np.array([[400, 400], [5, np.nan]]))
    array([ 0., nan])
    >>> da = xr.DataArray([[400, 10, 5], [400, 400, 5]], dims=("step", "layer"))
    >>> tunnel_length(da, threshold=100).values.tolist()
    [2, 1]
    """
    if isinstance(ranks, xr.DataArray):
        if "layer" not in ranks.dims:
            raise ValueError(f"ranks need a dimension 'layer', got dims {ranks.dims}")
        count = (ranks < threshold).sum("layer")
        if bool(ranks.isnull().any()):
            count = count.where(ranks.notnull().all("layer"))
        return count
    arr = np.asarray(ranks, dtype=np.float64)
    count = np.sum(arr < threshold, axis=-1)
    missing = np.isnan(arr).any(axis=-1)
    if np.any(missing):
        return np.where(missing, np.nan, count)
    return count
