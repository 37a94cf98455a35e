#!/usr/bin/env bash
# The built-in demo: unlearns 16 random Fashion-MNIST training images from the committed demo model
# (deploy/models/fashion-resnet18-w16.pt) with Lethe's defaults, in an embedded local Spark on local
# storage, and prints the run's report (JSON) as its last line.
#
#   deploy/quickstart.sh                 # LETHE_SEED=1 draws other images; LETHE_OUT sets --out
#
# Fetches Fashion-MNIST first (Debian's dataset-fashion-mnist, sha256-checked) and builds the job if
# needed. The unlearned model is published under $LETHE_OUT (default ./lethe-out) as
# fashion-resnet18-w16/<version>/{model.pt,model.lethe.json,report.json,manifest.json}. 1,000 random test
# images serve as the held-out sample (the fine-tune holds the model's outputs on them; labels
# unused); test accuracy before/after is measured on the other 9,000, which the method never sees.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${LETHE_DATA:-$repo/data}"
out="${LETHE_OUT:-$repo/lethe-out}"
"$repo/deploy/fetch-data.sh" --dest "$data" fashion-mnist >&2
exec "$repo/deploy/bin/lethe" unlearn \
  --model "$repo/deploy/models/fashion-resnet18-w16.pt" \
  --forget "$data/fashion-mnist/train-images-idx3-ubyte.gz" \
  --sample 16 --seed "${LETHE_SEED:-0}" \
  --test "$data/fashion-mnist/t10k-images-idx3-ubyte.gz" --held-out-from-test 1000 \
  --out "$out"
