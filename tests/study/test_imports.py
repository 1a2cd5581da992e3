"""A JAX-only study never imports torch (1.7 s of import time on this machine)."""

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
