"""The PyTorch half of the side-by-side fine-tune benchmark (deploy/bin/bench-pytorch; docs/BENCHMARKS.md).

Times the unlearning fine-tune step of the `paper` preset (docs/ALGORITHM.md section 4) written as a
PyTorch user would write it: per step a train-mode forward of a batch of adversarial examples and
then one of a batch of forget images (two passes in the authors' order, as the preset does since
session 2026-12-01e; --one-pass forwards them as one batch, as it did before), the forget term's
negative cross-entropy and the adversarial term's cross-entropy summed and divided by the batch,
MAS's anchoring penalty sum((1 - omega) * (theta - theta*)^2) / 2 with omega precomputed, SGD (lr
1e-3, momentum 0.9, weight decay 1e-4), and the stop check: an eval-mode forward of the forget set.
Same model, forget set and adversarial examples as Lethe's run (the PGD file UnlearnBenchmark
--adv-cache wrote), same batch composition (forget batch min(32, k), adversarial batches of 256 and
the remainder, cycled) and thread count.

    /usr/bin/python3 deploy/python/finetune_bench.py --model M.pt --data data/fashion-mnist \
        --adv ADV.bin --steps 20 --threads 2

Prints one JSON line: seconds of the step loop and per step (the first two steps, which warm the
TorchScript executor up, are timed apart).
"""
import argparse
import json
import os
import time

import torch
import torch.nn.functional as F

from reference_paper import read_adv, read_idx


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="folder with the Fashion-MNIST/MNIST IDX files")
    ap.add_argument("--adv", required=True, help="a PGD file written by UnlearnBenchmark --adv-cache")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--one-pass", action="store_true",
                    help="forward the forget and adversarial batches as one batch (the preset before"
                         " session 2026-12-01e; Lethe's separate-batches=false)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    ids, ta, xa = read_adv(a.adv)
    index = sorted({int(i.rsplit("/", 1)[1]) for i in ids})
    tr_x = read_idx(f"{a.data}/train-images-idx3-ubyte.gz")
    tr_y = read_idx(f"{a.data}/train-labels-idx1-ubyte.gz")
    xf = torch.tensor(tr_x[index][:, None] / 255.0, dtype=torch.float32)
    yf = torch.tensor(tr_y[index].astype("int64"))
    with open(a.model[: a.model.rfind(".")] + ".lethe.json") as f:
        sidecar = json.load(f)
    mean = torch.tensor(sidecar["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(sidecar["std"]).view(1, -1, 1, 1)
    net = torch.jit.load(a.model)
    params = list(net.parameters())
    start = [p.detach().clone() for p in params]
    net.eval()
    net.zero_grad()
    net((xf - mean) / std).norm(2, dim=1).mean().backward()
    keep = []
    for p in params:
        o = p.grad.abs()
        lo, hi = o.min(), o.max()
        keep.append(torch.ones_like(o) if hi == lo else 1 - (o - lo) / (hi - lo))
    net.zero_grad()
    opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9, weight_decay=1e-4)
    k, n = len(xf), len(xa)
    fb = min(32, k)
    order = torch.randperm(n)
    times = []
    cursor = 0
    for step in range(a.steps):
        t0 = time.perf_counter()
        fi = torch.arange(cursor, cursor + fb) % k
        cursor = (cursor + fb) % k
        b = step % -(-n // 256)  # batches of 256 and the rest, as Lethe cycles them
        bi = order[b * 256:(b + 1) * 256]
        net.train()
        if a.one_pass:
            z = net((torch.cat([xf[fi], xa[bi]]) - mean) / std)
            zf, za = z[:fb], z[fb:]
        else:
            # The authors' order, as the preset forwards them: the adversarial batch, then the forget batch.
            za = net((xa[bi] - mean) / std)
            zf = net((xf[fi] - mean) / std)
        loss = (-F.cross_entropy(zf, yf[fi], reduction="sum")
                + F.cross_entropy(za, ta[bi], reduction="sum")) / (fb + len(bi))
        loss = loss + sum((w * (p - s).square()).sum() for p, s, w in zip(params, start, keep)) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        net.eval()
        with torch.no_grad():
            (net((xf - mean) / std).argmax(1) == yf).sum().item()
        times.append(time.perf_counter() - t0)
    steady = times[2:]
    print(json.dumps({
        "side": "pytorch", "torch": torch.__version__, "model": os.path.basename(a.model), "k": k,
        "adversarial": n, "forget_batch": fb, "one_pass": a.one_pass, "adversarial_batch": 256, "threads": a.threads,
        "steps": a.steps, "seconds": round(sum(times), 2), "first_two_steps_seconds": round(sum(times[:2]), 2),
        "seconds_per_step": round(sum(steady) / len(steady), 4)}))


if __name__ == "__main__":
    main()
