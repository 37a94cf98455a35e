"""Builds Lethe's committed unit-test fixtures from real data (no network, about 30 s on 2 cores).

    /usr/bin/python3 deploy/python/make_fixtures.py

Data: the 1,797 8x8 handwritten digits shipped by Debian's python3-sklearn (BSD-3-Clause), scaled to
[0,1] and quantised to bytes, split 1,297 train / 500 test, written as gzipped IDX files.
Models (TorchScript, trained here with a fixed seed):
  digits-cnn-bn.pt  a small CNN with BatchNorm, with a sidecar digits-cnn-bn.lethe.json (classes,
                    input, mean/std)
  digits-mlp.pt     an MLP without BatchNorm and without any sidecar (a user's plain .pt)
Reference outputs for the Java tests (reference.json): PyTorch logits of the first 32 test images for
both models, and the eval-mode input gradient of the summed cross-entropy (cnn, with the sidecar's
normalisation applied inside the forward pass, as Lethe does).
"""
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from lethe_models import Normalized, accuracy, save_torchscript, write_idx

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "common", "src", "test", "resources", "fixtures")
DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
MEAN, STD = [0.30], [0.40]


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.fc(x.flatten(1))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def train(model, x, y, epochs, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    with gzip.open(DIGITS, "rt") as f:
        rows = np.loadtxt(f, delimiter=",")
    pixels = np.round(rows[:, :64] / 16.0 * 255.0).astype(np.uint8).reshape(-1, 8, 8)
    labels = rows[:, 64].astype(np.uint8)
    order = np.random.RandomState(0).permutation(len(rows))
    train_idx, test_idx = order[:1297], order[1297:]
    for name, idx in (("train", train_idx), ("test", test_idx)):
        write_idx(os.path.join(OUT, f"digits-{name}-images-idx3-ubyte.gz"),
                  torch.from_numpy(pixels[idx].copy()))
        write_idx(os.path.join(OUT, f"digits-{name}-labels-idx1-ubyte.gz"),
                  torch.from_numpy(labels[idx].copy()))
    x = torch.from_numpy(pixels).float().div(255).unsqueeze(1)
    y = torch.from_numpy(labels).long()
    xtr, ytr, xte, yte = x[train_idx], y[train_idx], x[test_idx], y[test_idx]
    classes = [str(c) for c in range(10)]
    reference = {"images": "digits-test-images-idx3-ubyte.gz", "count": 32}

    cnn = SmallCnn()
    wrapped = Normalized(cnn, MEAN, STD)
    train(wrapped, xtr, ytr, epochs=30, lr=3e-3)
    cnn_test = accuracy(wrapped, xte, yte)
    save_torchscript(cnn, os.path.join(OUT, "digits-cnn-bn.pt"), {
        "name": "digits-cnn-bn", "architecture": "2 conv + BatchNorm + linear",
        "dataset": "sklearn digits 8x8", "classes": classes,
        "input": {"channels": 1, "height": 8, "width": 8}, "mean": MEAN, "std": STD,
        "train_accuracy": round(accuracy(wrapped, xtr, ytr), 4), "test_accuracy": round(cnn_test, 4)})
    wrapped.eval()
    probe = xte[:32].clone().requires_grad_(True)
    logits = wrapped(probe)
    F.cross_entropy(logits, yte[:32], reduction="sum").backward()
    reference["cnn_logits"] = logits.detach().flatten().tolist()
    reference["cnn_input_grad_sum_ce"] = probe.grad.flatten().tolist()
    reference["cnn_test_accuracy"] = cnn_test

    mlp = Mlp()
    train(mlp, xtr, ytr, epochs=40, lr=3e-3)
    mlp.eval()
    mlp_test = accuracy(mlp, xte, yte)
    torch.jit.script(mlp).save(os.path.join(OUT, "digits-mlp.pt"))
    with torch.no_grad():
        reference["mlp_logits"] = mlp(xte[:32]).flatten().tolist()
    reference["mlp_test_accuracy"] = mlp_test
    reference["labels"] = yte[:32].tolist()
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(reference, f)
        f.write("\n")
    print(f"cnn test accuracy {cnn_test:.4f}, mlp test accuracy {mlp_test:.4f}")


if __name__ == "__main__":
    main()
