"""Redrawing a finished study's figures (``bayesgrok plot``): every figure ``bayesgrok run``
draws, from the folder's own files, with the stale ones removed first."""

from __future__ import annotations

import shutil
from pathlib import Path

from bayesgrok import trajectory
from bayesgrok.study.errors import StudyError
from bayesgrok.study.folder import STUDY_COPY
from bayesgrok.study.outputs import OUTPUTS
from bayesgrok.study.resolve import load_study


def redraw_figures(out: str | Path) -> list[Path]:
    """Remove ``out/figures`` and draw again every figure of the study in ``out`` (the
    study as run, ``study.toml``, and its ``study.nc``): the basic figures, regions,
    landscapes, stages, concealment, robustness and inference figures alike. Their data
    files are written again with them (the same values).

    Raises
    ------
    StudyError
        When the folder holds no study as run, or it no longer resolves here (a card of
        its own that is not found, say).

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.examples import tiny_study
    >>> from bayesgrok.study.runner import run_study
    >>> out = run_study(tiny_study(), tempfile.mkdtemp(), report=False).out
    >>> (out / "figures" / "stale.png").write_bytes(b"")
    0
    >>> names = sorted(p.name for p in redraw_figures(out))
    >>> "accuracy.png" in names and "regions_paths.png" in names and "stale.png" not in names
    True
    """
    out = Path(out)
    copy = out / STUDY_COPY
    if not copy.is_file():
        raise StudyError(str(out), "", f"no {STUDY_COPY} here (give the --out of a "
                         "'bayesgrok run', or draw into another folder with --out)")
    study = load_study(copy)
    ds = trajectory.read(out / "study.nc", study=True)
    ok = [r for r in ds["run"].values if set(ds["status"].sel(run=r).values.tolist())
          != {"failed"}]
    ds = ds.sel(run=ok)
    if (out / "figures").exists():
        shutil.rmtree(out / "figures")
    for output in OUTPUTS:
        if output.applies(study, ds, True):
            output.write(study, ds, out, figures=True)
    return sorted((out / "figures").glob("*.png"))
