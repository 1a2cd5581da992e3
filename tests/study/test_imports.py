"""A JAX-only study never imports torch (1.7 s of import time on this machine), nor a
torch-only study JAX."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_jax_study_runs_without_importing_torch(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        import bayesgrok.cli
        from bayesgrok.study.runner import run_study
        from bayesgrok.study.schema import studies_dir
        run_study(studies_dir() / "miller_linear.toml", {str(tmp_path)!r}, figures=False,
                  report=False)
        print("torch" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_a_torch_study_runs_without_importing_jax(tmp_path):
    """Reading a study imports no JAX either (optax and the NUTS engine, which import it,
    are imported where they are used): about a second of every torch study's start."""
    study = tmp_path / "s.toml"
    study.write_text(textwrap.dedent("""
        name = "torch_only"
        [task]
        name = "parity"
        n_points = 40
        n_train = 30
        [model]
        family = "mlp"
        widths = [8]
        [search]
        optimizer = "sgd"
        optimizer_args = { learning_rate = 0.1 }
        steps = 20
        [sweep]
        seeds = [0]
    """))
    code = textwrap.dedent(f"""
        import sys
        import bayesgrok.cli
        from bayesgrok.study.runner import run_study
        run_study({str(study)!r}, {str(tmp_path / "out")!r}, figures=False, report=False)
        print("jax" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "False"
