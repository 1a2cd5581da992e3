"""The concealment figure: the grokking gap against the number of random bits (REFERENCE A4)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bayesgrok.analysis.concealment import POOLED, concealment_fit, log_gap
from bayesgrok.plots._common import save

__all__ = ["plot_concealment"]


def _label(name: str, row: pd.Series | None, full: bool = False) -> str:
    if row is None or not np.isfinite(row["a"]):
        return name
    text = f"{name}: a={row['a']:.3g}"
    if full:
        text += f", b={row['b']:.3g}"
    r = f"{row['r']:.3f}" if np.isfinite(row["r"]) else "n/a"
    return f"{text}, r={r}"


def plot_concealment(
    table: pd.DataFrame,
    fit: pd.DataFrame | None = None,
    path: str | os.PathLike[str] | None = None,
    *,
    length: str | None = None,
    group: str | None = None,
) -> Figure:
    """The gap against ``l`` on a log axis, per group, with the fitted ``b exp(a l)``.

    Each point is the mean over seeds of the gap as the A4 fit sees it, ``exp(y)`` (the
    gap where it is positive, 1 where it is not), with a bar from the smallest to the
    largest seed; groups are nudged apart along ``l``. A hollow marker means at least one
    seed there never generalised and entered with its censored gap (a lower bound). The
    pooled fit is a thick black line, each group's fit a thin dashed line in its colour;
    the legend gives ``a`` and ``r`` (and ``b`` of the pooled fit).

    Parameters
    ----------
    table
        A table from :func:`~bayesgrok.analysis.concealment.concealment_table`.
    fit
        Its fit (:func:`~bayesgrok.analysis.concealment.concealment_fit`); computed when
        not given.
    path
        Where to save the PNG.
    length, group
        The columns holding ``l`` and the group (default: those in ``table.attrs``).

    Examples
    --------
    >>> table = pd.DataFrame({"op": ["x"] * 3 + ["y"] * 3, "l": [0, 10, 20] * 2,
    ...                       "gap": [2.0, 4.0, 8.0, 1.0, 3.0, 9.0], "censored": False,
    ...                       "in_fit": True, "unit": "epochs"})
    >>> fig = plot_concealment(table, length="l", group="op")
    >>> ax = fig.axes[0]
    >>> ax.get_yscale(), [t.get_text().split(":")[0] for t in ax.get_legend().get_texts()]
    ('log', ['pooled', 'x', 'y'])
    """
    length = length or table.attrs.get("length")
    group = group if group is not None else table.attrs.get("group")
    if length is None:
        raise ValueError("plot_concealment: name the column holding l (length=...)")
    if fit is None:
        fit = concealment_fit(table, length, group)
    fits = {str(row["group"]): row for _, row in fit.iterrows()}
    used = table[table["in_fit"].astype(bool)].copy()
    used["shown"] = np.exp(log_gap(used["gap"].to_numpy()))
    groups = [str(g) for g in pd.unique(used[group])] if group is not None else [POOLED]
    unit = str(table["unit"].iloc[0]) if "unit" in table and len(table) else "epochs"

    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    ax = fig.subplots()
    ls = np.sort(pd.unique(used[length]).astype(float))
    spacing = float(np.min(np.diff(ls))) if ls.size > 1 else 1.0
    grid = np.linspace(ls.min(), ls.max(), 200) if ls.size else np.zeros(0)
    colors = [f"C{i % 10}" for i in range(len(groups))]
    handles = []
    if POOLED in fits and np.isfinite(fits[POOLED]["a"]) and grid.size:
        row = fits[POOLED]
        (line,) = ax.plot(grid, row["b"] * np.exp(row["a"] * grid), color="black", lw=2.5,
                          label=_label(POOLED, row, full=True))
        handles.append(line)
    for i, (name, color) in enumerate(zip(groups, colors, strict=True)):
        part = used if group is None else used[used[group].astype(str) == name]
        stats = part.groupby(length).agg(mean=("shown", "mean"), low=("shown", "min"),
                                         high=("shown", "max"), cens=("censored", "any"))
        x = stats.index.to_numpy(float) + (i - (len(groups) - 1) / 2) * 0.06 * spacing
        mean = stats["mean"].to_numpy()
        err = np.vstack([mean - stats["low"].to_numpy(), stats["high"].to_numpy() - mean])
        cens = stats["cens"].to_numpy(bool)
        ax.errorbar(x, mean, yerr=err, fmt="none", ecolor=color, elinewidth=1, capsize=2)
        ax.plot(x[~cens], mean[~cens], "o", color=color, ms=5)
        ax.plot(x[cens], mean[cens], "o", mfc="white", mec=color, ms=5)
        row = fits.get(name)
        if group is None:
            continue
        if row is not None and np.isfinite(row["a"]) and grid.size:
            (line,) = ax.plot(grid, row["b"] * np.exp(row["a"] * grid), color=color, lw=1,
                              ls="--", marker="o", markevery=[], label=_label(name, row))
        else:
            (line,) = ax.plot([], [], color=color, marker="o", ls="", label=name)
        handles.append(line)
    ax.set_yscale("log")
    ax.set_xlabel(f"{length} (l, random bits)")
    ax.set_ylabel(f"grokking gap ({unit}; 1 where <= 0)")
    threshold = table.attrs.get("threshold")
    title = "gap = b exp(a l): mean over seeds, bars min to max; hollow: censored seeds"
    ax.set_title(title if threshold is None else f"{title}\n(onsets at accuracy > {threshold:g})",
                 fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    if handles:
        ax.legend(handles=handles, fontsize=8)
    save(fig, path)
    return fig
