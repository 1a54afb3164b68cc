#!/usr/bin/env bash
# The field check on a GPU node, in the node's own Python (at most about 8 minutes):
#   1. the kit installed with `pip install --no-deps --no-build-isolation -e .`;
#   2. MNIST in $CNNKIT_DATA, outside the kit (from the raw files or their .gz);
#   3. `cnnkit doctor` (the machine check) on 01_cnn and 02_training;
#   4. alice and dung graded with --train full on those topics;
#   5. the reference's bare full MNIST (benchmarks/gpu_full_profiles.py --runs mnist).
# It prints a table of what it measured: the per-student time through the grader
# against the reference's bare run is the figure to watch (goal: at most 1.3x).
#
#   MNIST_FROM=/path/with/MNIST/raw bash benchmarks/gpu_field.sh [OUT_DIR]
#
# Optional: WHEELS=folder of wheels the node lacks (torchinfo), BWRAP_DEB=bubblewrap .deb.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${1:-${OUT:-/tmp/cnnkit-gpu-field}}
mkdir -p "$OUT"
export CNNKIT_DATA=${CNNKIT_DATA:-$OUT/data} CNNKIT_OFFLINE=1 MPLBACKEND=Agg
export CNNKIT_CACHE=$OUT/cache PYTHONUNBUFFERED=1
declare -A took

step() {  # step NAME COMMAND...: run it, log it, time it
  local name=$1 start=$SECONDS; shift
  echo "== $name: $*" | tee -a "$OUT/field.log"
  if "$@" >>"$OUT/field.log" 2>&1; then took[$name]="$((SECONDS - start)) s"
  else took[$name]="FAILED after $((SECONDS - start)) s"; tail -30 "$OUT/field.log"; fi
}

if [ -n "${WHEELS:-}" ]; then
  "$PY" -m pip install -q --no-index --no-deps "$WHEELS"/*.whl
fi
if ! command -v bwrap >/dev/null && [ -n "${BWRAP_DEB:-}" ]; then
  dpkg -i "$BWRAP_DEB" >/dev/null
fi
step install "$PY" -m pip install -q --no-deps --no-build-isolation -e .
mkdir -p "$CNNKIT_DATA/MNIST/raw"
for f in "${MNIST_FROM:?set MNIST_FROM to a folder holding MNIST/raw}"/MNIST/raw/*; do
  case $f in
    *.gz) gunzip -c "$f" >"$CNNKIT_DATA/MNIST/raw/$(basename "$f" .gz)" ;;
    *) cp "$f" "$CNNKIT_DATA/MNIST/raw/" ;;
  esac
done
mkdir -p "$OUT/subs"
cp samples/submissions/alice.zip samples/submissions/dung.zip "$OUT/subs/"
step doctor "$PY" -m grader doctor --topics 01_cnn 02_training
step grade "$PY" -m grader grade "$OUT/subs" --out "$OUT/gradebook" --topics 01_cnn 02_training \
  --train full -j 2 --force
step reference_mnist "$PY" benchmarks/gpu_full_profiles.py --runs mnist
grep -E "machine check|alice|dung|test_acc|held-out" "$OUT/field.log" | tail -20 || true
echo
echo "| step | time |"
echo "|---|---|"
for name in install doctor grade reference_mnist; do echo "| $name | ${took[$name]:-not run} |"; done
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || true
"$PY" -c "import sys, torch, lightning; print(sys.version.split()[0], torch.__version__, lightning.__version__)"
