#!/usr/bin/env bash
# The built-in demo: fetches Fashion-MNIST (Debian's dataset-fashion-mnist, sha256-checked),
# builds the job if needed, and evaluates the committed demo model
# (deploy/models/fashion-resnet18-w16.pt) on the 10,000 test images through the job's entry point
# in an embedded local Spark. Prints the job's JSON summary as its last line.
#
#   deploy/quickstart.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${LETHE_DATA:-$repo/data}"
"$repo/deploy/fetch-data.sh" --dest "$data" fashion-mnist >&2
exec "$repo/deploy/bin/lethe" evaluate \
  --model "$repo/deploy/models/fashion-resnet18-w16.pt" \
  --data "$data/fashion-mnist/t10k-images-idx3-ubyte.gz" \
  --labels "$data/fashion-mnist/t10k-labels-idx1-ubyte.gz"
