"""Trains Lethe's demo model: a CIFAR-style ResNet-18 of base width 16 on Fashion-MNIST.

    /usr/bin/python3 deploy/python/train_demo_model.py --data <dir with the four IDX .gz files>

The full-width ResNet-18 (base 64) takes about 46 min per epoch on a 2-core CPU; base width 16
(about 700k parameters) takes about 6.5 min and still reaches over 90 % test accuracy in a few
epochs. Writes deploy/models/fashion-resnet18-w16.pt and its JSON sidecar. Deterministic for a
seed on one machine (single-threaded data order, fixed torch seed).
"""
import argparse
import os
import time

import torch
import torch.nn.functional as F

from lethe_models import CifarResNet18, Normalized, accuracy, read_idx, save_torchscript

CLASSES = ["t-shirt/top", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle boot"]
MEAN, STD = [0.2860], [0.3530]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "models",
                                                 "fashion-resnet18-w16.pt"))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    def load(prefix):
        x = read_idx(os.path.join(args.data, f"{prefix}-images-idx3-ubyte.gz")).float().div(255)
        y = read_idx(os.path.join(args.data, f"{prefix}-labels-idx1-ubyte.gz")).long()
        return x.unsqueeze(1), y

    xtr, ytr = load("train")
    xte, yte = load("t10k")
    net = CifarResNet18(1, 10, args.width)
    model = Normalized(net, MEAN, STD)
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
            # light augmentation: random horizontal flip and a +-2 pixel shift
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
        "name": "fashion-resnet18-w16",
        "architecture": f"CIFAR-style ResNet-18 (3x3 stem, no max-pool), base width {args.width}",
        "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist)",
        "classes": CLASSES,
        "input": {"channels": 1, "height": 28, "width": 28},
        "mean": MEAN,
        "std": STD,
        "train_accuracy": round(train_acc, 4),
        "test_accuracy": round(test_acc, 4),
        "training": {"epochs": args.epochs, "batch": batch, "seed": args.seed,
                     "optimizer": "SGD nesterov 0.9, OneCycle max lr 0.1, wd 5e-4",
                     "torch": torch.__version__},
    })
    print(side)


if __name__ == "__main__":
    main()
