"""The plane of a trajectory: the two leading principal directions of its parameter
snapshots, and the paths projected onto it.

Li et al., "Visualizing the Loss Landscape of Neural Nets" (2018), draw a net's path on the
plane spanned by the top principal directions of its parameter trajectory, centred at the
final parameters. :func:`trajectory_plane` does that with scikit-learn's ``PCA`` on the
snapshots of one seed, or of all seeds pooled (each seed centred at its own end); the
explained variance says how much of the path the plane holds. With
``filter_normalize=True`` each direction is rescaled filter by filter (a filter: one row of
a weight matrix, the whole of any other tensor) to the norm of the same filter of the
centre, as Li et al. describe, so that directions are comparable across scale-invariant
layers; bias-like vectors (one-dimensional tensors) are then set to zero in the
directions, as in their paper.

Snapshots come as an ``xarray.DataArray`` with dims ``(seed, snapshot, parameter)``; the
``parameter`` dimension may carry a ``tensor`` coordinate (which tensor each entry belongs
to) and the array a ``tensor_shapes`` attribute (JSON: name -> shape) for filter
normalisation. Everything here is a function of those arrays: no family, no engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import xarray as xr


@dataclass(frozen=True)
class Plane:
    """A plane in parameter space: ``centre + a * directions[0] + b * directions[1]``.

    Attributes
    ----------
    centre
        The origin (the last snapshot of the chosen seed, or of the first seed pooled).
    directions
        Two orthonormal (or, filter-normalised, rescaled) directions, shape ``(2, n)``.
    explained_variance_ratio
        The fraction of the snapshots' variance along each direction (before any
        rescaling).
    seeds
        The seeds whose snapshots defined the plane.
    """

    centre: np.ndarray
    directions: np.ndarray
    explained_variance_ratio: np.ndarray
    seeds: tuple[int, ...]

    def project(self, points: np.ndarray) -> np.ndarray:
        """Coordinates ``(a, b)`` of ``points`` (shape ``(..., n)``) on the plane: the least
        squares solution of ``centre + [a, b] @ directions = point``.

        Examples
        --------
        >>> plane = Plane(np.zeros(3), np.eye(3)[:2], np.array([0.6, 0.4]), (0,))
        >>> plane.project(np.array([[1.0, 2.0, 5.0]])).tolist()
        [[1.0, 2.0]]
        """
        d = self.directions
        gram = d @ d.T
        return np.linalg.solve(gram, d @ (np.asarray(points) - self.centre).T).T

    def points(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The parameter vectors at plane coordinates ``a``, ``b`` (same shapes), shape
        ``a.shape + (n,)``.

        Examples
        --------
        >>> plane = Plane(np.ones(2), np.eye(2), np.array([1.0, 0.0]), (0,))
        >>> plane.points(np.array([1.0]), np.array([-1.0])).tolist()
        [[2.0, 0.0]]
        """
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        return (self.centre + a[..., None] * self.directions[0]
                + b[..., None] * self.directions[1])


def _filter_normalise(direction: np.ndarray, centre: np.ndarray, tensor: np.ndarray,
                      shapes: dict[str, list[int]]) -> np.ndarray:
    out = direction.copy()
    for name, shape in shapes.items():
        where = np.flatnonzero(tensor == name)
        if where.size == 0:
            continue
        if len(shape) < 2:
            out[where] = 0.0  # biases and other vectors: no direction (Li et al.)
            continue
        rows = where.reshape(shape[0], -1)  # a filter: one row (one output unit)
        for idx in rows:
            norm = np.linalg.norm(out[idx])
            out[idx] *= np.linalg.norm(centre[idx]) / norm if norm > 0 else 0.0
    return out


def trajectory_plane(snapshots: xr.DataArray, *, seed: int | None = None,
                     filter_normalize: bool = False) -> Plane:
    """The plane of the two leading principal directions of a trajectory's snapshots.

    Parameters
    ----------
    snapshots
        Parameter vectors, dims ``(seed, snapshot, parameter)``.
    seed
        The seed whose snapshots define the plane; ``None``: all seeds pooled, each
        centred at its own last snapshot.
    filter_normalize
        Rescale the directions filter by filter to the centre's filter norms (Li et al.);
        needs the ``tensor`` coordinate and the ``tensor_shapes`` attribute.

    Returns
    -------
    Plane
        Centred at the (first chosen) seed's last snapshot.

    Examples
    --------
    A path confined to the plane spanned by two known directions is recovered:

    >>> rng = np.random.default_rng(0)
    >>> basis = np.linalg.qr(rng.normal(size=(10, 2)))[0].T
    >>> coords = np.c_[np.linspace(0, 3, 20), np.sin(np.linspace(0, 3, 20))]
    >>> snaps = xr.DataArray((coords @ basis)[None], dims=("seed", "snapshot", "parameter"),
    ...                      coords={"seed": [0]})
    >>> plane = trajectory_plane(snaps)
    >>> round(float(plane.explained_variance_ratio.sum()), 6)
    1.0
    >>> np.linalg.norm(plane.directions @ basis.T, axis=1).round(6).tolist()  # in the plane
    [1.0, 1.0]
    """
    from sklearn.decomposition import PCA

    values = snapshots.transpose("seed", "snapshot", "parameter")
    chosen = [int(s) for s in values["seed"].values] if seed is None else [int(seed)]
    blocks = []
    for s in chosen:
        path = values.sel(seed=s).values
        path = path[np.isfinite(path).all(axis=1)]
        if len(path) < 3:
            raise ValueError(f"seed {s}: {len(path)} finite snapshots; a plane needs 3 or more")
        blocks.append(path - path[-1])  # each seed centred at its own end
    pooled = np.concatenate(blocks)
    pca = PCA(n_components=2).fit(pooled)
    first = values.sel(seed=chosen[0]).values
    centre = first[np.isfinite(first).all(axis=1)][-1]
    directions = pca.components_.astype(np.float64)
    if filter_normalize:
        if "tensor" not in values.coords or "tensor_shapes" not in snapshots.attrs:
            raise ValueError("filter normalisation needs the snapshots' 'tensor' coordinate "
                             "and 'tensor_shapes' attribute")
        shapes = json.loads(snapshots.attrs["tensor_shapes"])
        tensor = np.asarray(values["tensor"].values).astype(str)
        directions = np.stack([_filter_normalise(d, centre, tensor, shapes)
                               for d in directions])
    return Plane(centre, directions, pca.explained_variance_ratio_.astype(np.float64),
                 tuple(chosen))


def plane_grid(plane: Plane, paths: np.ndarray, *, resolution: int = 25,
               margin: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Grid axes ``(a values, b values)`` covering the projected ``paths`` (any shape
    ``(..., 2)``, NaN ignored), widened by ``margin`` of their extent on each side.

    Examples
    --------
    >>> plane = Plane(np.zeros(2), np.eye(2), np.ones(2), (0,))
    >>> a, b = plane_grid(plane, np.array([[0.0, 0.0], [4.0, 2.0]]), resolution=3, margin=0.5)
    >>> a.tolist(), b.tolist()
    ([-2.0, 2.0, 6.0], [-1.0, 1.0, 3.0])
    """
    flat = np.asarray(paths, np.float64).reshape(-1, 2)
    flat = flat[np.isfinite(flat).all(axis=1)]
    low, high = flat.min(axis=0), flat.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    low, high = low - margin * span, high + margin * span
    return (np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
