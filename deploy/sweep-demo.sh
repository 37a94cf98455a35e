#!/usr/bin/env bash
# The erasure-request demo: a sweep over a folder of requests against Fashion-MNIST and the committed
# demo model (deploy/models/fashion-resnet18-w16.pt), a second sweep that finds nothing new, and an
# audit of one forgotten request, whose JSON is the last line.
#
#   deploy/sweep-demo.sh        # LETHE_SWEEP_DIR sets the work folder (default ./lethe-sweep-demo),
#                               # LETHE_OUT sets --out (default $LETHE_SWEEP_DIR/out), LETHE_DATA the data
#
# In the work folder it writes subjects.csv (60,000 rows: subject u<i mod 15000>, zero-padded to
# five digits, owns train/<i>, so u00042 owns train/42, train/15042, train/30042 and train/45042),
# requests/ (four requests in two JSON Lines files: two by subject, one by sample ids, one for an
# unknown subject, which is rejected) and ledger/ (the Delta table of outcomes). 16 images are
# forgotten, in one run (--max-per-run 64). Run again, the sweeps find every request recorded and
# publish nothing; delete the work folder to start over. Evaluation as in quickstart.sh: 1,000
# random test images are the held-out sample, test accuracy is measured on the other 9,000.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${LETHE_DATA:-$repo/data}"
work="${LETHE_SWEEP_DIR:-./lethe-sweep-demo}"
out="${LETHE_OUT:-$work/out}"
lethe="$repo/deploy/bin/lethe"

"$repo/deploy/fetch-data.sh" --dest "$data" fashion-mnist >&2
mkdir -p "$work/requests"

# The subjects table: the one command the README shows.
awk 'BEGIN { print "subject,id"; for (i = 0; i < 60000; i++) printf "u%05d,train/%d\n", i % 15000, i }' \
  >"$work/subjects.csv"

cat >"$work/requests/2026-12-01.jsonl" <<'EOF'
{"request_id": "r-001", "subject": "u00042", "received_at": "2026-12-01T09:00:00Z"}
{"request_id": "r-002", "sample_ids": ["train/17", "train/4023", "train/9000", "train/12345", "train/27182", "train/31415", "train/44444", "train/59999"]}
EOF
cat >"$work/requests/2026-12-02.jsonl" <<'EOF'
{"request_id": "r-003", "subject": "u01234", "received_at": "2026-12-02T09:00:00Z"}
{"request_id": "r-004", "subject": "u99999", "received_at": "2026-12-02T10:00:00Z"}
EOF

sweep() {
  "$lethe" sweep --requests "$work/requests" --ledger "$work/ledger" \
    --dataset "$data/fashion-mnist/train-images-idx3-ubyte.gz" --subjects "$work/subjects.csv" \
    --model "$repo/deploy/models/fashion-resnet18-w16.pt" --out "$out" \
    --test "$data/fashion-mnist/t10k-images-idx3-ubyte.gz" --held-out-from-test 1000
}

echo "sweep-demo: first sweep (r-001..r-004: 16 images to forget, r-004's subject is unknown)" >&2
sweep
echo "sweep-demo: second sweep (nothing new: publishes no version)" >&2
sweep
echo "sweep-demo: audit of r-001 on the current version" >&2
exec "$lethe" audit --ledger "$work/ledger" --request r-001 --out "$out"
