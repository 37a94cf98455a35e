"""Builds the scale benchmark's model and data: a full-width ResNet-18 (ImageNet layout, 11.2 M
parameters) on Fashion-MNIST padded to 3x32x32, with the data as RGB image folders.

    deploy/bin/make-resnet18-3x32                    # fetches Fashion-MNIST first, then runs this
    /usr/bin/python3 deploy/python/make_resnet18_3x32.py --data data/fashion-mnist --out data/resnet18-3x32

Each 28x28 grayscale image is padded with 2 black pixels on every side to 32x32 and repeated to three
identical channels. Writes, under --out (default <repo>/data/resnet18-3x32, git-ignored):
  fashion-resnet18-3x32.pt          TorchScript, no normalisation inside (about 43 MiB)
  fashion-resnet18-3x32.lethe.json  its sidecar: classes, input 3x32x32, mean/std, test accuracy
  train/<class>/train-NNNNN.png     the --train training images the model was trained on (the
                                    forget set: `lethe unlearn --forget .../train --sample k`)
  test/<class>/t10k-NNNNN.png       the 10,000 test images (`--test .../test`)
Class folders are the sidecar's class names with '/' written as '_' (t-shirt_top), as Lethe reads
them. The point of the model is its size, not its accuracy: by default it trains one pass over the
first 20,000 training images (batch 128, SGD with a one-cycle schedule), about 5-8 minutes on 2
cores, and reaches roughly 80 % test accuracy. Deterministic for a seed on one machine.
"""
import argparse
import os
import shutil
import time

import torch
import torch.nn.functional as F

from lethe_models import Normalized, ResNet18, accuracy, png_bytes, read_idx, save_torchscript

NAME = "fashion-resnet18-3x32"
CLASSES = ["t-shirt/top", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle boot"]
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load(data, prefix, limit=None):
    """Images padded to 3x32x32 (uint8) and labels of one IDX pair."""
    def idx(kind):
        path = os.path.join(data, f"{prefix}-{kind}-ubyte")
        return path + ".gz" if os.path.exists(path + ".gz") else path
    x = read_idx(idx("images-idx3"))
    y = read_idx(idx("labels-idx1")).long()
    if limit is not None:
        x, y = x[:limit], y[:limit]
    x = F.pad(x.unsqueeze(1), (2, 2, 2, 2)).repeat(1, 3, 1, 1)
    return x.contiguous(), y


def write_folder(root, prefix, images, labels):
    """Writes root/<class>/<prefix>-NNNNN.png, NNNNN the image's index in its IDX file."""
    if os.path.exists(root):
        shutil.rmtree(root)
    for name in CLASSES:
        os.makedirs(os.path.join(root, name.replace("/", "_")))
    for i in range(len(images)):
        folder = CLASSES[labels[i].item()].replace("/", "_")
        with open(os.path.join(root, folder, f"{prefix}-{i:05d}.png"), "wb") as f:
            f.write(png_bytes(images[i]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=os.path.join(REPO, "data", "fashion-mnist"),
                   help="folder with Fashion-MNIST's four IDX files (deploy/fetch-data.sh)")
    p.add_argument("--out", default=os.path.join(REPO, "data", "resnet18-3x32"))
    p.add_argument("--train", type=int, default=60000,
                   help="train on (and write as the forget set) the first N training images")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    if not 1 <= args.train <= 60000:
        p.error(f"Cannot train on --train {args.train} images; give 1 to 60000")
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    xtr8, ytr = load(args.data, "train", args.train)
    xte8, yte = load(args.data, "t10k")
    start = time.time()
    write_folder(os.path.join(args.out, "train"), "train", xtr8, ytr)
    write_folder(os.path.join(args.out, "test"), "t10k", xte8, yte)
    print(f"wrote {len(xtr8)} training and {len(xte8)} test PNGs under {args.out} "
          f"({time.time() - start:.0f}s)", flush=True)

    xtr = xtr8.float().div(255)
    xte = xte8.float().div(255)
    mean = [round(xtr[:, 0].mean().item(), 4)] * 3
    std = [round(xtr[:, 0].std().item(), 4)] * 3
    net = ResNet18(3, len(CLASSES))
    model = Normalized(net, mean, std)
    batch = 128
    steps = args.epochs * ((len(xtr) + batch - 1) // batch)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=steps)
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            x = xtr[idx]
            flip = torch.rand(len(x)) < 0.5
            x[flip] = x[flip].flip(3)
            loss = F.cross_entropy(model(x), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if (i // batch) % 20 == 0:
                print(f"epoch {epoch} step {i // batch}/{steps} loss {loss.item():.4f} "
                      f"{time.time() - start:.0f}s", flush=True)
    seconds = time.time() - start
    train_acc = accuracy(model, xtr, ytr, batch=500)
    test_acc = accuracy(model, xte, yte, batch=500)
    parameters = sum(t.numel() for t in net.parameters())
    side = save_torchscript(net, os.path.join(os.path.abspath(args.out), NAME + ".pt"), {
        "name": NAME,
        "architecture": "ResNet-18, ImageNet layout (7x7 stride-2 stem, max-pool, widths 64-512)",
        "parameters": parameters,
        "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist), padded 28->32, 3 equal channels",
        "classes": CLASSES,
        "input": {"channels": 3, "height": 32, "width": 32},
        "mean": mean,
        "std": std,
        "train_accuracy": round(train_acc, 4),
        "test_accuracy": round(test_acc, 4),
        "training": {"images": len(xtr), "epochs": args.epochs, "batch": batch,
                     "seed": args.seed, "threads": args.threads,
                     "seconds": round(seconds, 1),
                     "optimizer": "SGD nesterov 0.9, OneCycle max lr 0.05, wd 5e-4, h-flip",
                     "torch": torch.__version__},
    })
    print(side)


if __name__ == "__main__":
    main()
