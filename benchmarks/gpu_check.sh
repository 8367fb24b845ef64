#!/usr/bin/env bash
# The prepared GPU check of issue 14, for a session that has a GPU: install CuPy for the
# driver's CUDA major version, run every array test on CuPy, then the benchmarks in float32
# and float16 with the GPU's own GEMM rate (4096^2) measured in the same run.
# Results go to ${OUT:-benchmarks/results}/DATE-gpu-*.json.  Run from the repository root.
set -euo pipefail
out=${OUT:-benchmarks/results}
mkdir -p "$out"
cuda_major=$(nvidia-smi | sed -n 's/.*CUDA Version: \([0-9]*\).*/\1/p' | head -1)
pip install -q -e ".[test,distributed]" "cupy-cuda${cuda_major}x>=13"
python -c "import cupy; print(cupy.cuda.runtime.getDeviceProperties(0)['name'].decode())"
# every xp-parametrised test on CuPy (the fixture adds it when a GPU is visible)
timeout 300 python -m pytest -q -p no:cacheprovider -k cupy tests/ | tail -5
stamp=$(date +%Y-%m-%d)
for dtype in float32 float16; do
  timeout 200 python -m proofs_check bench --backend cupy --dtype "$dtype" --repeats 5 \
    --shapes 4096x4096,2048x2048,1024x4096,4096x1024 --stacks 72x768x768,24x768x3072 \
    --no-verify --out "$out/$stamp-gpu-$dtype.json"
done
