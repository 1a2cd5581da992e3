"""A study with ``[landscape] plane = "pca"`` (issue 24): per-run landscapes on the plane of
the trajectory, their figures and summary; and the values it refuses."""

from __future__ import annotations

import pandas as pd
import pytest
import xarray as xr

from bayesgrok.study.errors import StudyError
from bayesgrok.study.resolve import load_study
from bayesgrok.study.runner import run_study

STUDY = """
name = "plane"
[task]
name = "linear_sign"
seeding = "published"
[model]
card = "miller_linear"
[search]
optimizer = "sgd"
optimizer_args = {{ learning_rate = 1e-3 }}
epochs = 1500
log = {{ every = 10 }}
{snapshots}
[sweep]
seeds = [0, 1]
grid = {{ "model.complexity_weight" = [1.0, 0.0] }}
[landscape]
plane = "pca"
size = [9, 7]
{extra}
"""


def _write(tmp_path, snapshots="snapshots = { every = 100 }", extra=""):
    path = tmp_path / "plane.toml"
    path.write_text(STUDY.format(snapshots=snapshots, extra=extra))
    return path


def test_a_pca_plane_study_writes_each_runs_landscape_and_its_figure(tmp_path):
    result = run_study(_write(tmp_path), tmp_path / "out")
    out = result.out
    for run in result.computed:
        land = xr.load_dataset(out / f"landscape_{run}.nc", engine="h5netcdf")
        assert dict(land["error"].sizes) == {"b": 7, "a": 9}
        assert dict(land["path_a"].sizes) == {"seed": 2, "snapshot": 16}
        assert 0.5 < float(land["explained_variance_ratio"].sum()) <= 1.0
        assert (out / "figures" / f"landscape_{run}.png").stat().st_size > 10_000
        assert (out / "runs" / f"{run}.parameters.nc").is_file()
    table = pd.read_csv(out / "landscape_plane.csv")
    assert len(table) == 4
    full = table[table["complexity_weight"] == 1.0]
    ablation = table[table["complexity_weight"] == 0.0]
    # with its complexity term the search passes from LEHC into LELC on the plane; without
    # it, it stays out of LELC
    assert full["passes_lehc_to_lelc_on_plane"].all()
    assert not ablation["passes_lehc_to_lelc_on_plane"].any()
    assert (ablation["end_area"] != "LELC").all()


@pytest.mark.parametrize(("snapshots", "extra", "key"), [
    ("", "", "search.snapshots"),
    ("snapshots = [0, 10]", "", "search.snapshots"),
    ("snapshots = { every = 100 }", "seed = 7", "landscape.seed"),
    ("snapshots = { every = 100 }", 'x = "w"', "landscape"),
])
def test_bad_pca_landscapes_are_refused_naming_the_key(tmp_path, snapshots, extra, key):
    with pytest.raises(StudyError) as err:
        load_study(_write(tmp_path, snapshots, extra))
    assert key in str(err.value)
