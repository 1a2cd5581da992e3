"""plot_terms: mean error and complexity against epoch, one line per (run, term)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from matplotlib.colors import to_rgba

from bayesgrok.plots.terms import plot_terms
from bayesgrok.trajectory import combine, example, validate

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def with_epoch(scale: float = 1.0) -> xr.Dataset:
    """A two-seed trajectory with an epoch coordinate (2 steps per epoch)."""
    ds = example(n_seeds=2, steps=(0, 1, 10, 100))
    ds = ds.assign_coords(epoch=("step", ds["step"].values / 2.0))
    ds["error"] = ds["error"] * scale
    return validate(ds)


def sigma_study() -> xr.Dataset:
    values = [0.005, 0.1, 1.0]
    runs = {f"s{i}": with_epoch(scale=v) for i, v in enumerate(values)}
    return combine(runs, {"sigma_init": values})


def test_png_written_one_line_per_run_and_term(tmp_path):
    path = tmp_path / "deep" / "terms.png"
    fig = plot_terms(sigma_study(), path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    error_ax, complexity_ax, colorbar = fig.axes
    assert len(error_ax.get_lines()) == 3 and len(complexity_ax.get_lines()) == 3
    assert error_ax.get_yscale() == "log" and complexity_ax.get_yscale() == "log"
    assert error_ax.get_xlabel().startswith("epoch")
    assert colorbar.get_ylabel() == "sigma_init"
    # sigma_init spans more than a decade: the colour scale is logarithmic
    assert colorbar.get_yscale() == "log"


def test_lines_are_seed_means_against_epoch():
    study = sigma_study()
    fig = plot_terms(study)
    line = fig.axes[0].get_lines()[1]  # run s1, error
    np.testing.assert_allclose(line.get_xdata(), [0.0, 0.5, 5.0, 50.0])
    expected = study["error"].sel(run="s1").mean("seed").values
    np.testing.assert_allclose(line.get_ydata(), expected)
    comp = fig.axes[1].get_lines()[2]
    np.testing.assert_allclose(comp.get_ydata(), study["complexity"].sel(run="s2").mean("seed"))


def test_colours_follow_the_swept_value():
    fig = plot_terms(sigma_study())
    colours = [to_rgba(line.get_color()) for line in fig.axes[0].get_lines()]
    assert len(set(colours)) == 3
    # the same run has the same colour in both panels
    assert colours == [to_rgba(line.get_color()) for line in fig.axes[1].get_lines()]


def test_single_trajectory_uses_step_without_epoch(tmp_path):
    fig = plot_terms(example(), tmp_path / "one.png")
    assert len(fig.axes) == 2
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1]
    assert fig.axes[0].get_xlabel().startswith("step")
    assert (tmp_path / "one.png").stat().st_size > 0


def test_non_numeric_sweep_gets_a_legend():
    study = combine({"a": example(), "b": example()}, {"optimizer": ["sgd", "adam"]})
    fig = plot_terms(study)
    assert len(fig.axes) == 2  # no colour bar
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels == ["optimizer=sgd", "optimizer=adam"]


def test_non_positive_values_are_masked():
    ds = example()
    ds["complexity"] = ds["complexity"] * 0.0
    fig = plot_terms(validate(ds))
    assert np.isnan(fig.axes[1].get_lines()[0].get_ydata()).all()


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="complexity"):
        plot_terms(example().drop_vars("complexity"))
    with pytest.raises(ValueError, match="color_by"):
        plot_terms(sigma_study(), color_by="learning_rate")


def test_negative_terms_are_drawn_on_linear_axes():
    from bayesgrok.plots import plot_error_complexity
    from bayesgrok.trajectory import example

    ds = example()
    ds["error"] = ds["error"] - 10.0  # a Gaussian log-likelihood per point can be negative
    fig = plot_terms(ds)
    assert [ax.get_yscale() for ax in fig.axes] == ["linear", "log"]
    assert np.isfinite(fig.axes[0].get_lines()[0].get_ydata()).all()
    fig = plot_error_complexity(ds)
    assert (fig.axes[0].get_xscale(), fig.axes[0].get_yscale()) == ("log", "linear")
