"""bayesgrok installed from its wheel (issue 22, item 1): the model cards and studies ship
inside the package, and `list`, a study by name and `report` work in a folder with no
source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``python -m build`` (wheel and sdist), the wheel installed into a fresh folder."""
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir",
                            str(dist), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next(dist.glob("*.whl"))
    assert next(dist.glob("*.tar.gz"))
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(wheel)], check=True, timeout=600)
    return wheel, target


def _bayesgrok(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run([sys.executable, "-m", "bayesgrok.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_wheel_holds_every_card_and_study(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("models", "studies"):
        shipped = {f"bayesgrok/{folder}/{p.relative_to(ROOT / 'bayesgrok' / folder)}"
                   for p in (ROOT / "bayesgrok" / folder).rglob("*.toml")}
        assert shipped and shipped <= names, sorted(shipped - names)


def test_list_a_study_by_name_and_report_from_the_installed_wheel(installed, tmp_path):
    _, target = installed
    where = _bayesgrok(target, tmp_path, "--version")
    assert where.returncode == 0 and "bayesgrok 0.1.0" in where.stdout
    listed = _bayesgrok(target, tmp_path, "list")
    assert listed.returncode == 0 and "quickstart" in listed.stdout
    assert "miller_linear" in listed.stdout  # a model card
    # a tiny study of the user's own, whose card is found among the installed ones
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "mine.toml").write_text(
        'name = "mine"\n[task]\nname = "linear_sign"\n[model]\ncard = "miller_linear"\n'
        '[search]\noptimizer = "sgd"\noptimizer_args = { learning_rate = 1e-3 }\n'
        "epochs = 100\nlog = { every = 50 }\n[sweep]\nseeds = [0]\n")
    ran = _bayesgrok(target, tmp_path, "run", "mine", "--out", "out", "--no-figures")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    imported = _bayesgrok(target, tmp_path, "show", "out")
    assert imported.returncode == 0
    reported = _bayesgrok(target, tmp_path, "report", "out")
    assert reported.returncode == 0 and (tmp_path / "out" / "report.html").is_file()
    assert not (tmp_path / "bayesgrok").exists()  # no source tree here
