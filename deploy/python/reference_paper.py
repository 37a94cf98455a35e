"""The paper preset (docs/ALGORITHM.md sections 1-4) written independently in PyTorch, run on the
same model, forget set and adversarial examples as Lethe's Java benchmark, so that the two
implementations can be compared number for number (docs/DEFAULTS.md, "The paper preset: Java
against PyTorch").

The forget set and the PGD set come from a file the Java benchmark wrote with
`--adv-cache DIR` (UnlearnBenchmark.AdvFile: big-endian binary); the forget instances are the
training images whose ids ("train/<index>") the examples name.

    /usr/bin/python3 deploy/python/reference_paper.py --model deploy/models/fashion-resnet18-w16.pt \
        --data data/fashion-mnist --adv /tmp/adv/adv-fashion-resnet18-w16.pt-k16-seed0-*.bin

Prints one JSON line: steps, epochs, forget and test accuracy after (test = the test split minus
its first --held-out images, as in the Java benchmark).
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx(path):
    if not os.path.exists(path):
        path = path[:-3]  # the uncompressed file, as deploy/fetch-data.sh mnist leaves it
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def read_adv(path):
    """(source ids, targets, images) of a benchmark PGD file."""
    with open(path, "rb") as f:
        raw = f.read()
    n, = struct.unpack_from(">i", raw, 0)
    pos = 12  # int32 count, float64 seconds
    ids, targets, images = [], [], []
    for _ in range(n):
        length, = struct.unpack_from(">H", raw, pos)
        ids.append(raw[pos + 2:pos + 2 + length].decode("utf-8"))
        pos += 2 + length
        _index, _label, target, _success, c, h, w = struct.unpack_from(">iiiBiii", raw, pos)
        pos += 25
        images.append(np.frombuffer(raw, ">f4", c * h * w, pos).reshape(c, h, w))
        pos += 4 * c * h * w
        targets.append(target)
    return ids, torch.tensor(targets), torch.tensor(np.stack(images).astype(np.float32))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="folder with the Fashion-MNIST/MNIST IDX files")
    ap.add_argument("--adv", required=True, help="a PGD file written by UnlearnBenchmark --adv-cache")
    ap.add_argument("--method", default="l2ul", choices=["neggrad", "adv", "l2ul"])
    ap.add_argument("--separate", action="store_true",
                    help="adversarial and forget batches in separate forward passes, adversarial first (the authors)")
    ap.add_argument("--max-epochs", type=int, default=1000)
    ap.add_argument("--held-out", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    ids, ta, xa = read_adv(a.adv)
    index = sorted({int(i.rsplit("/", 1)[1]) for i in ids})
    tr_x = read_idx(f"{a.data}/train-images-idx3-ubyte.gz")
    tr_y = read_idx(f"{a.data}/train-labels-idx1-ubyte.gz")
    te_x = read_idx(f"{a.data}/t10k-images-idx3-ubyte.gz")
    te_y = read_idx(f"{a.data}/t10k-labels-idx1-ubyte.gz")
    xf = torch.tensor(tr_x[index][:, None] / 255.0, dtype=torch.float32)
    yf = torch.tensor(tr_y[index].astype(np.int64))
    xt = torch.tensor(te_x[a.held_out:][:, None] / 255.0, dtype=torch.float32)
    yt = torch.tensor(te_y[a.held_out:].astype(np.int64))
    # Lethe's sidecar: model.pt -> model.lethe.json
    with open(a.model[: a.model.rfind(".")] + ".lethe.json") as f:
        sidecar = json.load(f)
    mean = torch.tensor(sidecar["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(sidecar["std"]).view(1, -1, 1, 1)
    net = torch.jit.load(a.model)

    def g(x):
        return net((x - mean) / std)

    @torch.no_grad()
    def accuracy(x, y):
        net.eval()
        right = sum((g(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
                    for i in range(0, len(x), 1000))
        return right / len(x)

    params = list(net.parameters())
    start = [p.detach().clone() for p in params]
    # MAS (mean-gradient mode): |d/dtheta mean_x ||g(x)||_2| at theta*, min-max per tensor.
    net.eval()
    net.zero_grad()
    g(xf).norm(2, dim=1).mean().backward()
    omega = []
    for p in params:
        o = p.grad.abs()
        lo, hi = o.min(), o.max()
        omega.append(torch.zeros_like(o) if hi == lo else (o - lo) / (hi - lo))
    net.zero_grad()
    before = {"forget": accuracy(xf, yf), "test": accuracy(xt, yt)}

    k, n = len(xf), len(xa)
    fb = min(32, k)
    boundary = a.method != "neggrad"
    steps_per_epoch = -(-n // 256) if boundary else -(-k // fb)
    opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9, weight_decay=1e-4)
    t0 = time.time()
    step, cursor, done, epoch = 0, 0, False, 0
    for epoch in range(1, a.max_epochs + 1):
        order = torch.randperm(n)
        for b in range(steps_per_epoch):
            fi = torch.tensor([(cursor + i) % k for i in range(fb)])
            cursor = (cursor + fb) % k
            net.train()
            if boundary:
                bi = order[b * 256:(b + 1) * 256]
                if a.separate:
                    # the authors' order: adversarial batch first, forget batch second
                    za = g(xa[bi])
                    zf = g(xf[fi])
                else:
                    z = g(torch.cat([xf[fi], xa[bi]]))
                    zf, za = z[:fb], z[fb:]
                loss = (-F.cross_entropy(zf, yf[fi], reduction="sum")
                        + F.cross_entropy(za, ta[bi], reduction="sum")) / (fb + len(bi))
            else:
                loss = -F.cross_entropy(g(xf[fi]), yf[fi])
            if a.method == "l2ul":
                loss = loss + sum(((1 - o) * (p - s) ** 2).sum() / 2
                                  for p, s, o in zip(params, start, omega))
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if accuracy(xf, yf) == 0:
                done = True
                break
        if done:
            break
    print(json.dumps({
        "implementation": "pytorch", "method": a.method, "separate": a.separate, "k": k,
        "adv": a.adv.rsplit("/", 1)[-1], "forgot": done, "steps": step, "epochs": epoch,
        "forget": {"before": before["forget"], "after": accuracy(xf, yf)},
        "test": {"before": before["test"], "after": accuracy(xt, yt), "size": len(xt)},
        "seconds": round(time.time() - t0, 1), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
