"""Copy the figures of finished reproductions into the documentation, small.

For every entry of :data:`FIGURES` whose result folder exists (``results/<study>`` after
``bayesgrok run``), the figure is resized to at most 1100 pixels wide, reduced to a
256-colour palette and written to ``docs/_static/reproductions/<name>.png``, under 150 kB;
the run's command, start date and wall time (from ``provenance.json``) are printed for the
page ``docs/reproductions.md``.

    .venv/bin/python docs/tools/reproduction_figures.py [--results results]
"""

from __future__ import annotations

import argparse
import io
import json
from datetime import datetime
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "_static" / "reproductions"
LIMIT = 150_000  # bytes per image

FIGURES: dict[str, tuple[str, str]] = {
    # name in the docs: (result folder, figure file)
    "a1_linear": ("miller_linear", "accuracy.png"),
    "a1_linear_ablation": ("miller_linear_ablation", "accuracy.png"),
    "a2_gp_zero_one": ("miller_gp_zero_one", "accuracy.png"),
    "a3_gp_parity": ("miller_gp_parity", "accuracy.png"),
    "a3_gp_parity_lengthscales": ("miller_gp_parity", "probe_inverse_lengthscale.png"),
    "a3_gp_parity_ablation": ("miller_gp_parity_ablation", "accuracy.png"),
    "a4_concealment": ("miller_concealment", "concealment.png"),
    "a5_gp_landscape": ("miller_gp_landscape", "landscape.png"),
    "a6_bnn": ("miller_bnn", "accuracy.png"),
    "a6_bnn_dwell_gap": ("miller_bnn", "dwell_gap.png"),
    "a7_hypothesis_dwell_gap": ("hypothesis_cross_family", "dwell_gap.png"),
    "a7_hypothesis_paths": ("hypothesis_cross_family", "regions_paths.png"),
    "b_depth_reduced": ("fan_depth_reduced", "accuracy.png"),
    "b_depth_full_cpu": ("fan_depth_offline_cpu", "stages.png"),
    "c_modular_addition_reduced": ("tan_modular_addition_reduced", "accuracy.png"),
    "d1_omnigrok_reduced": ("omnigrok_mnist_reduced", "accuracy.png"),
}


def shrink(source: Path, target: Path, width: int = 1100) -> int:
    """Write ``source`` to ``target`` as a palette PNG at most ``width`` pixels wide and
    under :data:`LIMIT` bytes (narrower until it fits); return its size in bytes."""
    image = Image.open(source).convert("RGB")
    while True:
        scale = min(1.0, width / image.width)
        small = image.resize((round(image.width * scale), round(image.height * scale)),
                             Image.Resampling.LANCZOS)
        data = io.BytesIO()
        small.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            data, format="PNG", optimize=True)
        if data.tell() < LIMIT or width <= 500:
            target.write_bytes(data.getvalue())
            return data.tell()
        width = int(width * 0.85)


def provenance(folder: Path) -> str:
    """The command, the date and the wall time of a result, in words."""
    path = folder / "provenance.json"
    if not path.is_file():
        return "no provenance.json"
    record = json.loads(path.read_text())
    started = datetime.fromisoformat(record["started"])
    finished = datetime.fromisoformat(record["finished"])
    minutes = (finished - started).total_seconds() / 60
    return (f"`{record['command']}`, {started:%Y-%m-%d}, {minutes:.1f} min "
            f"({record.get('computed', '?')} runs computed, {record.get('reused', '?')} reused)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(ROOT / "results"))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (study, figure) in FIGURES.items():
        folder = Path(args.results) / study
        source = folder / "figures" / figure
        if not source.is_file():
            print(f"{name}: {source} missing, left as it was")
            continue
        size = shrink(source, OUT / f"{name}.png")
        print(f"{name}: {size / 1000:.0f} kB; {provenance(folder)}")


if __name__ == "__main__":
    main()
