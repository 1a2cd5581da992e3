"""Tests for bayesgrok.plots.regions: panels per group, region shading, strips, dwell-gap."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.collections import PathCollection, QuadMesh

from bayesgrok.analysis.regions import RegionSpec, passage_example, regions, regions_table
from bayesgrok.plots import plot_dwell_gap, plot_region_paths, plot_region_timeline
from bayesgrok.trajectory import combine, example, validate

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REGIONS = ["HEHC", "HELC", "LEHC", "LELC"]


def one_run(family: str, weight: float, final: float, generalises: bool,
            n_seeds: int = 2) -> xr.Dataset:
    """A run like those of ``passage_example``: fits at step 10, complexity 4 until step 100."""
    ds = example(n_seeds=n_seeds)
    ds["complexity"] = ds["complexity"].copy(data=np.broadcast_to(
        [4.0, 4.0, 4.0, final], ds["complexity"].shape).copy())
    if not generalises:
        ds["val_accuracy"] = ds["val_accuracy"] * 0 + 0.5
    ds.attrs["config"] = json.dumps({"model": {"complexity_weight": weight}})
    ds.attrs["family"] = family
    return validate(ds)


def two_groups() -> xr.Dataset:
    """Two families with a reference (linear: a full run and its ablation; gp: one run) and
    one of ablations alone (no reference)."""
    runs = {"lin_full": one_run("linear", 1.0, 1.0, True),
            "lin_abl": one_run("linear", 0.0, 4.0, False),
            "gp_full": one_run("gp", 1.0, 0.5, True),
            "abl_only": one_run("ablated", 0.0, 4.0, False)}
    return combine(runs, {"complexity_weight": [1.0, 0.0, 1.0, 0.0]})


def markers(ax, gid: str) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections
               if isinstance(c, PathCollection) and c.get_gid() == gid)


def test_paths_of_the_passage_example(tmp_path):
    path = tmp_path / "figures" / "regions_paths.png"
    fig = plot_region_paths(regions(passage_example()), path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert sorted(p.get_gid() for p in ax.patches) == REGIONS
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "complexity_weight=1", "complexity_weight=0"]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "symlog"
    assert ax.get_ylabel().startswith("training error rate (1 - train accuracy)")
    # Start of every seed; exit and onset only for the full run's two seeds.
    assert (markers(ax, "start"), markers(ax, "exit"), markers(ax, "onset")) == (4, 2, 2)
    # The ablation's seeds never generalise: dashed and thinner.
    lines = ax.get_lines()[:4]
    assert [line.get_linestyle() for line in lines] == ["-", "-", "--", "--"]
    assert lines[2].get_linewidth() < lines[0].get_linewidth()
    # The figure's key explains line styles and markers.
    key = [t.get_text() for t in fig.legends[0].get_texts()]
    assert key == ["generalises", "never generalises", "start", "LEHC exit",
                   "validation onset"]


def test_paths_one_panel_per_group_shaded_from_the_definition(tmp_path):
    reg = regions(two_groups())
    fig = plot_region_paths(reg, tmp_path / "paths.png")
    assert (tmp_path / "paths.png").read_bytes()[:8] == PNG_MAGIC
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == ["linear", "gp", "ablated"]
    linear, gp, ablated = fig.axes
    for ax, run in ((linear, "lin_full"), (gp, "gp_full")):
        boxes = {p.get_gid(): p for p in ax.patches}
        assert sorted(boxes) == REGIONS
        x_level = float(reg["low_complexity_level"].sel(run=run))
        y_level = float(reg["low_error_level"].sel(run=run))
        lelc = boxes["LELC"]
        assert lelc.get_x() + lelc.get_width() == pytest.approx(x_level)
        assert lelc.get_y() + lelc.get_height() == pytest.approx(y_level)
        assert boxes["HEHC"].get_x() == pytest.approx(x_level)
        assert {t.get_text() for t in ax.texts} >= set(REGIONS)
    assert len(linear.get_lines()) >= 4  # 2 runs x 2 seeds (and the two split lines)
    legend = [t.get_text() for t in linear.get_legend().get_texts()]
    assert legend == ["complexity_weight=1", "complexity_weight=0"]
    # A group without a reference: no shading, and the title says so.
    assert len(ablated.patches) == 0 and "no reference" in ablated.get_title()
    assert markers(ablated, "start") == 2 and markers(ablated, "exit") == 0


def test_paths_of_a_regression_study_use_mse_and_a_linear_complexity_axis():
    ds = example(n_seeds=1).drop_vars(["train_accuracy", "val_accuracy"])
    ds["complexity"] = ds["complexity"].copy(data=np.array([[2.0, 1.0, 0.0, -2.0]]))
    ds["train_mse"] = (("seed", "step"), np.array([[1.0, 0.1, 0.01, 0.0]]))
    ds["val_mse"] = (("seed", "step"), np.array([[1.0, 0.9, 0.5, 0.001]]))
    ds.attrs["task_kind"] = "regression"
    reg = regions(combine({"r": validate(ds)}), RegionSpec(mse_threshold=0.05))
    ax = plot_region_paths(reg).axes[0]
    assert ax.get_ylabel().startswith("training MSE")
    assert ax.get_xscale() == "linear"
    assert ax.get_ylim()[0] < 0 < ax.get_ylim()[1]  # zero error shows inside the frame


def test_timeline_one_strip_per_run_and_seed(tmp_path):
    path = tmp_path / "regions_timeline.png"
    reg = regions(two_groups())
    fig = plot_region_timeline(reg, path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert [ax.get_title(loc="left") for ax in fig.axes][:2] == ["linear", "gp"]
    assert "no reference" in fig.axes[2].get_title(loc="left")
    strips = [sum(isinstance(c, QuadMesh) for c in ax.collections) for ax in fig.axes]
    assert strips == [4, 2, 2]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["complexity_weight=1, seed 0", "complexity_weight=1, seed 1",
                      "complexity_weight=0, seed 0", "complexity_weight=0, seed 1"]
    # Validation onsets marked: the two generalising seeds of each full run.
    assert [markers(ax, "val_onset") for ax in fig.axes] == [2, 2, 0]
    # Strips carry the region codes: lin_full seed 0 is HEHC, HEHC, LEHC, LELC.
    first = next(c for c in fig.axes[0].collections if isinstance(c, QuadMesh))
    assert np.asarray(first.get_array()).ravel().tolist() == [0, 0, 2, 3]
    assert fig.axes[-1].get_xscale() == "symlog"


def test_timeline_height_grows_with_strips_and_is_capped():
    small = plot_region_timeline(regions(passage_example()))
    runs = {f"r{i}": one_run("linear", 1.0, 1.0, True, n_seeds=3) for i in range(20)}
    big = plot_region_timeline(regions(combine(runs, {"i": list(range(20))})))
    assert sum(isinstance(c, QuadMesh) for c in big.axes[0].collections) == 60
    assert small.get_figheight() < big.get_figheight() <= 16.0


def test_dwell_gap_one_point_per_grokked_seed_with_rho(tmp_path):
    path = tmp_path / "dwell_gap.png"
    reg = regions(two_groups())
    fig = plot_dwell_gap(reg, path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    ax = fig.axes[0]
    table = regions_table(reg)
    grokked = table["grokked"] & table["lehc_dwell"].notna()
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == int(grokked.sum()) == 4
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["linear (rho = n/a, n = 2)", "gp (rho = n/a, n = 2)",
                          "ablated (rho = n/a, n = 0)"]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"  # all positive


def test_dwell_gap_from_a_table_with_a_zero_dwell_and_given_rho():
    table = pd.DataFrame({"group": ["a"] * 4 + ["b"] * 3,
                          "grokked": [True, True, True, True, True, True, False],
                          "lehc_dwell": [0.0, 20, 30, 40, 5, 50, 500],
                          "gap": [15.0, 40, 35, 80, 10, 20, np.nan]})
    ax = plot_dwell_gap(table).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["a (rho = 0.80, n = 4)", "b (rho = n/a, n = 2)"]
    assert ax.get_xscale() == "symlog" and ax.get_yscale() == "log"
    given = pd.DataFrame({"group": ["b"], "spearman_rho": [-0.25]})
    ax = plot_dwell_gap(table, hypothesis=given).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "b (rho = -0.25, n = 2)"
    with pytest.raises(ValueError, match="lehc_dwell"):
        plot_dwell_gap(table.drop(columns="lehc_dwell"))


def test_timeline_skips_seeds_a_pooled_study_does_not_have():
    from matplotlib.collections import QuadMesh

    from bayesgrok.analysis.regions import passage_example, regions
    from bayesgrok.plots.regions import plot_region_timeline

    reg = regions(passage_example())
    status = reg["status"].values.astype(object)
    status[1, 1] = "nan"  # what an outer join on seed leaves for a seed a study lacks
    reg["status"] = (("run", "seed"), status)
    ax = plot_region_timeline(reg).axes[0]
    assert sum(isinstance(c, QuadMesh) for c in ax.collections) == 3
