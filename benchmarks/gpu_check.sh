#!/usr/bin/env bash
# The GPU path in one short run (at most 6 minutes on one GPU: the steps' limits add to 360 s): --device gpu,
# mixed precision, XLA, a CIFAR-10 epoch, a sweep of the seven serially and with --workers 4
# (several runs per GPU), and the smoke benchmark suite, each timed, then one table. Run it from the repository root on a machine
# with a GPU (not in CI):
#
#     bash benchmarks/gpu_check.sh
#
# Data: MNIST_DIR (default ../shared/data/mnist-subset, else shared/data/mnist-subset)
# and CIFAR_DIR (the same with cifar10-subset). Each step has its own time limit, so
# a hang cannot eat the GPU session; a failing step is marked FAIL and the rest go on.
# Without a GPU it stops at once with exit status 2.
set -uo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2

find_data() {  # $1: the subset folder's name
  for folder in "../shared/data/$1" "shared/data/$1" "/work/shared/data/$1"; do
    if [ -d "$folder" ]; then echo "$folder"; return; fi
  done
  echo "../shared/data/$1"
}
MNIST_DIR="${MNIST_DIR:-$(find_data mnist-subset)}"
CIFAR_DIR="${CIFAR_DIR:-$(find_data cifar10-subset)}"

device=$(python - <<'PY' 2>/dev/null
import tensorflow as tf
gpus = tf.config.list_physical_devices("GPU")
if gpus:
    details = tf.config.experimental.get_device_details(gpus[0])
    print(f"{len(gpus)} x {details.get('device_name', gpus[0].name)}")
PY
)
if [ -z "$device" ]; then
  smi=$( (command -v nvidia-smi > /dev/null && nvidia-smi -L 2>&1 | head -1) || echo "not installed")
  echo "gpu_check: TensorFlow sees no GPU here (nvidia-smi: $smi); run this on a machine with" \
       "a GPU" >&2
  exit 2
fi
echo "gpu_check: $device, TensorFlow $(python -c 'import tensorflow as tf; print(tf.__version__)' 2>/dev/null)"

output="$(mktemp -d)"
rows=()
step() {  # $1: name, $2: time limit (s), then the train_model.py arguments
  local name="$1" limit="$2" start end status
  shift 2
  start=$(date +%s%N)
  if timeout "$limit" python train_model.py --quiet --output_dir "$output" --experiment "$name" \
       "$@" > "$output/$name.log" 2>&1; then status=ok; else status="FAIL (see $output/$name.log)"; fi
  end=$(date +%s%N)
  local tenths=$(( (end - start) / 100000000 ))
  rows+=("$(printf '| %-26s | %5d.%d | %s |' "$name" $((tenths / 10)) $((tenths % 10)) "$status")")
  echo "${rows[-1]}"
}

step gpu-mlp-1-epoch 30 --device gpu --model mlp --epochs 1 --data_dir "$MNIST_DIR"
step gpu-cnn-3-epochs 45 --device gpu --model cnn --epochs 3 --data_dir "$MNIST_DIR"
step gpu-cnn-3-epochs-mixed 45 --device gpu --model cnn --epochs 3 --mixed_precision \
  --data_dir "$MNIST_DIR"
step gpu-cnn-xla 45 --device gpu --model cnn --epochs 3 --jit_compile on --data_dir "$MNIST_DIR"
step cifar10-1-epoch 45 --device gpu --dataset cifar10 --epochs 1 --data_dir "$CIFAR_DIR"
step sweep-7x1-serial 50 --device gpu --optimizer all --model mlp --epochs 2 \
  --data_dir "$MNIST_DIR"
step sweep-7x1-workers4 50 --device gpu --optimizer all --model mlp --epochs 2 --workers 4 \
  --data_dir "$MNIST_DIR"
step suite-smoke 50 --suite smoke --ruleset defaults --device gpu --data_dir "$MNIST_DIR"
echo
echo "| step (--device gpu) | seconds | status |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
python - "$output" <<'PY'
import json, sys
from pathlib import Path
for path in sorted(Path(sys.argv[1]).glob("*/*/history.json")):
    history = json.loads(path.read_text())
    environment, times = history["environment"], history["history"]["train_time_s"]
    print(f"{path.parent.parent.name}/{path.parent.name}: {history['status']}, "
          f"{environment['device']}, {environment.get('precision_policy')}, "
          f"epoch train s {[round(t, 2) for t in times if t is not None]}")
PY
