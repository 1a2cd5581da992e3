"""Multi-stage generalisation: accuracy surges above, feature rank per layer below."""

from __future__ import annotations

import os

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bayesgrok.analysis.rank_descents import rank_descents
from bayesgrok.analysis.stages import generalisation_stages
from bayesgrok.plots._common import run_title, save, step_axis

__all__ = ["plot_stages"]


def plot_stages(
    ds: xr.Dataset,
    path: str | os.PathLike[str] | None = None,
    *,
    stages: xr.Dataset | None = None,
    seed: int | None = None,
) -> Figure:
    """Accuracy with its generalisation stages shaded, over the feature rank of each layer.

    One column per run. The top panel shows training and validation accuracy of one seed
    and shades each surge of validation accuracy (from its onset to its end, as
    :func:`~bayesgrok.analysis.stages.generalisation_stages` finds them), numbered. The
    bottom panel, drawn when the dataset has ``feature_rank``, shows the rank of every
    layer at the steps where it was measured, with a dotted line at the onset of each of
    its descents. Steps are on a symmetric-log axis.

    Parameters
    ----------
    ds
        A trajectory or study dataset with ``val_accuracy`` (and ``train_accuracy``,
        ``feature_rank`` when present).
    path
        Where to save the PNG.
    stages
        Precomputed stages of ``ds["val_accuracy"]``; computed with defaults if not given.
    seed
        The seed to draw (default: the first).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> steps = np.arange(0, 1000, 10)
    >>> acc = np.where(steps > 300, 0.5, 0.1) + np.where(steps > 700, 0.4, 0.0)
    >>> ds = xr.Dataset({"val_accuracy": (("seed", "step"), acc[None])},
    ...                 {"seed": [0], "step": steps})
    >>> fig = plot_stages(ds)
    >>> len(fig.axes), len(fig.axes[0].patches)  # one panel, two shaded stages
    (1, 2)
    """
    if "val_accuracy" not in ds.data_vars:
        raise ValueError("plot_stages needs 'val_accuracy' in the dataset")
    if stages is None:
        stages = generalisation_stages(ds["val_accuracy"])
    seed = int(ds["seed"].values[0]) if seed is None else seed
    ranks = "feature_rank" in ds.data_vars
    runs = list(ds["run"].values) if "run" in ds.dims else [None]
    ncols, nrows = len(runs), 2 if ranks else 1
    fig = Figure(figsize=(4.2 * ncols, 3.2 * nrows), layout="constrained")
    axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False, sharex="col"))
    for col, run in enumerate(runs):
        one = ds if run is None else ds.sel(run=run)
        one = one.sel(seed=seed)
        st = stages.sel(seed=seed) if "seed" in stages.dims else stages
        st = st if run is None else st.sel(run=run)
        ax = axes[0, col]
        steps = one["step"].values
        for name, color in (("train_accuracy", "C0"), ("val_accuracy", "C1")):
            if name in one.data_vars:
                ax.plot(steps, one[name].values, color=color, label=name.replace("_", " "))
        n = int(st["n_stages"])
        for k in range(n):
            start, end = float(st["stage_onset"][k]), float(st["stage_end"][k])
            ax.axvspan(start, max(end, start + 1), color="C2", alpha=0.2, linewidth=0)
            ax.text(start, 1.0, str(k + 1), va="top", ha="left", fontsize="small")
        ax.set_ylim(-0.02, 1.05)
        ax.set_ylabel("accuracy")
        ax.set_title(f"{run_title(ds, run) if run is not None else ''} seed {seed}: "
                     f"{n} stage{'s' if n != 1 else ''}".strip())
        step_axis(ax)
        if ranks:
            _rank_panel(axes[1, col], one["feature_rank"])
    axes[0, 0].legend(loc="lower right", fontsize="small")
    save(fig, path)
    return fig


def _rank_panel(ax: Axes, rank: xr.DataArray) -> None:
    measured = rank.dropna("step", how="all")
    descents = rank_descents(measured)
    for i, layer in enumerate(measured["layer"].values):
        color = f"C{i % 10}"
        ax.plot(measured["step"].values, measured.sel(layer=layer).values, marker=".",
                color=color, label=f"layer {layer}")
        onsets = descents["descent_onset"].sel(layer=layer).values
        for x in onsets[np.isfinite(onsets)]:
            ax.axvline(float(x), color=color, linestyle=":", linewidth=1)
    ax.set_ylabel("feature rank")
    ax.set_yscale("symlog", linthresh=1)
    step_axis(ax)
    ax.legend(loc="best", fontsize="x-small", ncol=2)
