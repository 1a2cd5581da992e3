"""The figures of a study: accuracy, error against complexity, the terms, probes, and the
ArviZ figures of a run's InferenceData."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from bayesgrok.study import store


def draw_figures(
    ds: xr.Dataset,
    folder: Path,
    *,
    threshold: float = 0.95,
    mse_threshold: float | None = None,
) -> list[Path]:
    """Draw the standard figures of a study dataset into ``folder``; return their paths.

    Accuracy (or MSE) curves, error against complexity, the mean of each term against
    time (``terms.png``), and one figure per probe with a dimension of its own
    (``probe_<name>.png``: weights per feature, inverse lengthscales per input dimension,
    ...).

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.trajectory import combine, example
    >>> paths = draw_figures(combine({"a": example()}), Path(tempfile.mkdtemp()))
    >>> [p.name for p in paths]
    ['accuracy.png', 'error_complexity.png', 'terms.png']
    """
    from bayesgrok.plots import plot_accuracy, plot_error_complexity, plot_terms
    from bayesgrok.plots.probes import plot_probe, probe_names

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, plot in (("accuracy", plot_accuracy), ("error_complexity", plot_error_complexity)):
        path = folder / f"{name}.png"
        plot(ds, path, threshold=threshold, mse_threshold=mse_threshold)
        paths.append(path)
    path = folder / "terms.png"
    plot_terms(ds, path)
    paths.append(path)
    for name in probe_names(ds):
        path = folder / f"probe_{name}.png"
        plot_probe(ds, name, path)
        paths.append(path)
    return paths


def draw_inference_figures(out: Path, run_id: str) -> list[Path]:
    """ArviZ figures of a run's artifacts: trace and rank plots of its first NUTS
    InferenceData, and a posterior plot per variational snapshot (``posterior_step<k>``).

    Examples
    --------
    >>> draw_inference_figures(Path("no/such/results"), "run-1")
    []
    """
    import arviz_plots as azp

    from bayesgrok.analysis.inference_data import save_plot_collection

    artifacts = store.artifacts_of(out, run_id)
    written = []
    found = [p for name, p in artifacts.items() if name.startswith("idata")]
    if found:
        tree = xr.open_datatree(found[0], engine="h5netcdf").load()
        for kind, plot in (("trace", azp.plot_trace_dist), ("rank", azp.plot_rank)):
            path = out / "figures" / f"{run_id}_{kind}.png"
            save_plot_collection(plot(tree, backend="matplotlib"), path)
            written.append(path)
    for name, file in artifacts.items():
        if name.startswith("posterior_step"):
            tree = xr.open_datatree(file, engine="h5netcdf").load()
            path = out / "figures" / f"{run_id}_{name}.png"
            save_plot_collection(per_seed_densities(few_sites(tree)), path)
            written.append(path)
    return written


def per_seed_densities(tree: xr.DataTree) -> object:
    """ArviZ's posterior densities of a variational snapshot, one curve per seed (the
    chains of :mod:`bayesgrok.search.posterior` are the seeds), overlaid in one panel per
    quantity with a legend, never pooled across seeds.

    Examples
    --------
    >>> import numpy as np, arviz_base as azb
    >>> tree = azb.from_dict({"posterior": {"w": np.zeros((2, 50, 3)) + [[[0.0]], [[1.0]]]}})
    >>> tree["posterior"]["w"] = tree["posterior"]["w"] + np.random.default_rng(0).normal(
    ...     size=(2, 50, 3))
    >>> len(per_seed_densities(tree).viz["figure"].item().axes)  # one panel per w entry
    3
    """
    import arviz_plots as azp

    post = tree["posterior"].to_dataset().rename({"chain": "seed"})
    tree = xr.DataTree.from_dict({"posterior": post})
    dims = sorted({d for v in post.data_vars.values() for d in v.dims} - {"seed", "draw"})
    pc = azp.plot_dist(tree, sample_dims=["draw"], backend="matplotlib",
                       aes={"color": ["seed"]}, cols=["__variable__", *dims],
                       visuals={"point_estimate_text": False, "point_estimate": False,
                                "credible_interval": False})
    pc.add_legend("seed")
    return pc


def few_sites(tree: xr.DataTree, most: int = 8) -> xr.DataTree:
    """``tree`` with its posterior cut to at most ``most`` scalar quantities for a figure:
    the sites in order of size, each cut to its first elements.

    Examples
    --------
    >>> import numpy as np, arviz_base as azb
    >>> tree = azb.from_dict({"posterior": {"w": np.zeros((2, 5, 30, 4)),
    ...                                     "b": np.zeros((2, 5, 2))}})
    >>> {k: dict(v.sizes) for k, v in few_sites(tree)["posterior"].data_vars.items()}
    {'b': {'chain': 2, 'draw': 5, 'b_dim_0': 2}, 'w': {'chain': 2, 'draw': 5, 'w_dim_0': 6}}
    """
    post = tree["posterior"].to_dataset()
    kept, left = {}, most
    for name in sorted(post.data_vars, key=lambda v: post[v].size):
        if left <= 0:
            break
        da = post[name]
        for dim in [d for d in da.dims if d not in ("chain", "draw")]:
            da = da.isel({dim: slice(0, left)})
            if da.size // (da.sizes["chain"] * da.sizes["draw"]) >= left:
                da = da.isel({d: 0 for d in da.dims if d not in ("chain", "draw", dim)})
                break
        kept[name] = da
        left -= da.size // (da.sizes["chain"] * da.sizes["draw"])
    return xr.DataTree.from_dict({"posterior": xr.Dataset(kept)})


