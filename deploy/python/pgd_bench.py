"""The PyTorch half of the side-by-side PGD benchmark (deploy/bin/bench-pgd; docs/BENCHMARKS.md).

Runs the attack Lethe's PgdAttack runs (docs/ALGORITHM.md section 2: targeted PGD on the original
model in eval mode, L2 ball, normalised-gradient steps, clipping to [0,1] and projection after each
step) on the same TorchScript model, the same examples in the same batches, with the same number
of threads, and times it the same way: from the first PGD call to the examples in hand, the model
loaded before. The examples come from the file the Java half wrote (PgdSpeedBenchmark --dump):
each example's target and random start are re-drawn here from Lethe's seeded stream (SplitMix64
seeded by SHA-256 of "<seed>|<id>|<j>"), outside the timed part, so both halves attack from the
same points; the targets must equal Lethe's. At the end the adversarial images are compared with
Lethe's, to show both halves did the same work.

    /usr/bin/python3 deploy/python/pgd_bench.py --model M.pt --examples DUMP --threads 2 --batch 256

Prints one JSON line.
"""
import argparse
import hashlib
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix(seed, instance_id, j, count):
    """The first `count` outputs of Lethe's per-example stream, as uint64."""
    key = f"{seed}|{instance_id}|{j}".encode("utf-8")
    state = np.uint64(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))
    with np.errstate(over="ignore"):
        z = state + GOLDEN * np.arange(1, count + 1, dtype=np.uint64)
        z = (z ^ (z >> np.uint64(30))) * MIX1
        z = (z ^ (z >> np.uint64(27))) * MIX2
    return z ^ (z >> np.uint64(31))


def draw(seed, instance_id, j, label, classes, size):
    """(target, start image) of example (instance, j), exactly as PgdAttack draws them."""
    z = splitmix(seed, instance_id, j, size + 1)
    d = int(((int(z[0]) >> 32) * (classes - 1)) >> 32)
    target = d + 1 if d >= label else d
    start = (z[1:] >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
    return target, start


def read_dump(path):
    with open(path, "rb") as f:
        raw = f.read()
    seed, = struct.unpack_from(">q", raw, 0)
    length, = struct.unpack_from(">H", raw, 8)
    norm = raw[10:10 + length].decode("utf-8")
    pos = 10 + length
    eps, alpha, steps, n = struct.unpack_from(">ffii", raw, pos)
    pos += 16
    rows = []
    for _ in range(n):
        length, = struct.unpack_from(">H", raw, pos)
        instance_id = raw[pos + 2:pos + 2 + length].decode("utf-8")
        pos += 2 + length
        j, label, target, c, h, w = struct.unpack_from(">iiiiii", raw, pos)
        pos += 24
        size = c * h * w
        clean = np.frombuffer(raw, ">f4", size, pos).astype(np.float32).reshape(c, h, w)
        pos += 4 * size
        lethe = np.frombuffer(raw, ">f4", size, pos).astype(np.float32).reshape(c, h, w)
        pos += 4 * size
        rows.append((instance_id, j, label, target, clean, lethe))
    return seed, norm, eps, alpha, steps, rows


def normalisation(model_path, channels):
    side = os.path.splitext(model_path)[0] + ".lethe.json"
    if not os.path.exists(side):
        return None
    with open(side) as f:
        spec = json.load(f)
    if "mean" not in spec:
        return None
    shape = (1, channels, 1, 1)
    return (torch.tensor(spec["mean"]).reshape(shape), torch.tensor(spec["std"]).reshape(shape))


def per_sample_norm(a):
    return a.square().sum(dim=(1, 2, 3), keepdim=True).sqrt()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--examples", required=True, help="the file PgdSpeedBenchmark --dump wrote")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--profile", help="write libtorch's profile of the attack (Chrome trace JSON) here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    seed, norm, eps, alpha, steps, rows = read_dump(args.examples)
    if norm != "L2":
        raise SystemExit(f"Cannot run {args.examples}: this benchmark implements the L2 attack, not {norm}")
    model = torch.jit.load(args.model).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    c, h, w = rows[0][4].shape
    stats = normalisation(args.model, c)
    with torch.no_grad():
        classes = model(torch.zeros(2, c, h, w)).shape[1]

    def forward(x):
        return model((x - stats[0]) / stats[1]) if stats else model(x)

    def project(delta):
        return delta / (per_sample_norm(delta) / eps).clamp_min(1.0)

    clean = torch.tensor(np.stack([r[4] for r in rows]))
    targets, starts = [], []
    for instance_id, j, label, _, _, _ in rows:
        t, s = draw(seed, instance_id, j, label, classes, c * h * w)
        targets.append(t)
        starts.append(s.reshape(c, h, w))
    targets = torch.tensor(targets)
    starts = torch.tensor(np.stack(starts))
    lethe_targets = torch.tensor([r[3] for r in rows])
    if not torch.equal(targets, lethe_targets):
        raise SystemExit("Cannot compare: the targets drawn here differ from Lethe's; the streams disagree")

    out, predicted = [], []
    profiler = torch.autograd.profiler.profile() if args.profile else None
    if profiler:
        profiler.__enter__()
    start_time = time.perf_counter()
    start_cpu = time.thread_time()
    for lo in range(0, len(rows), args.batch):
        x = clean[lo:lo + args.batch]
        t = targets[lo:lo + args.batch]
        delta = (project(starts[lo:lo + args.batch] - x) + x).clamp(0, 1) - x
        for _ in range(steps):
            current = (x + delta).requires_grad_(True)
            loss = F.cross_entropy(forward(current), t, reduction="sum")
            grad, = torch.autograd.grad(loss, current)
            with torch.no_grad():
                direction = grad / per_sample_norm(grad).clamp_min(1e-12)
                moved = (current - alpha * direction).clamp(0, 1)
                delta = project(moved - x)
        with torch.no_grad():
            result = (x + delta).clamp(0, 1)
            predicted.append(forward(result).argmax(1))
        out.append(result)
    seconds = time.perf_counter() - start_time
    cpu_seconds = time.thread_time() - start_cpu
    if profiler:
        profiler.__exit__(None, None, None)
        profiler.export_chrome_trace(args.profile)
    adversarial = torch.cat(out)
    success = (torch.cat(predicted) == targets).double().mean().item()
    lethe = torch.tensor(np.stack([r[5] for r in rows]))
    diff = (adversarial - lethe).abs()
    print(json.dumps({
        "side": "pytorch", "torch": torch.__version__, "model": os.path.basename(args.model),
        "examples": len(rows), "steps": steps, "batch": args.batch, "threads": args.threads,
        "seconds": round(seconds, 2), "main_thread_cpu_seconds": round(cpu_seconds, 2),
        "examples_per_second": round(len(rows) / seconds, 3),
        "attack_success": round(success, 4),
        "max_abs_diff_to_lethe": round(diff.max().item(), 6),
        "mean_abs_diff_to_lethe": round(diff.mean().item(), 8),
    }))


if __name__ == "__main__":
    main()
