"""Builds tiny classifiers of architectures Lethe was not tuned on, and the data they were trained
on, to probe how Lethe behaves with them (about a minute on 2 cores):

    /usr/bin/python3 deploy/python/make_architecture_models.py [OUT]

OUT (default /tmp/lethe-architectures) gets:
  data/train/<class>/<n>.png, data/test/<class>/<n>.png
      the committed fixture digits (make_fixtures.py: 1,297 train, 500 test, 8x8), scaled to 16x16
      and tinted with one of 12 colours each (RGB PNG, no sidecar); class folders are the digits
  data120/..., data2/...   the same images labelled digit*12 + colour (120 classes), and the digits
      0 and 1 only (2 classes)
  <name>.pt   TorchScript (torch.jit.script), 3x16x16 inputs in [0,1], no sidecar, a few thousand
      parameters, trained here with a fixed seed:
    dropout       conv, ReLU, pool, Dropout(0.5) before the linear layer: random in train mode
    aux-train     GoogLeNet/Inception style: returns (logits, aux) in train mode, logits in eval
    aux-first     the same with the auxiliary head first: (aux, logits) in train mode
    aux-optional  torchvision's GoogLeNet once scripted: (logits, aux) in train mode, (logits, None)
                  in eval mode
    no-norm       convolutions and ReLUs only, no normalisation layer at all
    layernorm     convolutions with LayerNorm over (C, H, W)
    groupnorm     convolutions with GroupNorm(4 groups)
    instancenorm  convolutions with InstanceNorm2d (no running statistics)
    depthwise     depthwise (groups = channels) and pointwise convolutions, BatchNorm
    view-flatten  LeNet style: conv, ReLU, pool twice, then x.view(x.size(0), -1), which fails on
                  activations held channels-last (Lethe then keeps its PGD inputs plain)
    vit           4x4 patches, a class token, one TransformerEncoderLayer (attention + LayerNorm)
    two-class     the digits 0 and 1 (data2), two logits
    one-logit     the digits 0 and 1 (data2), ONE logit (sigmoid-style binary classifier)
    nan-input-gradient  untrained: finite logits, NaN gradient with respect to its input
    classes120    120 classes (data120)
  The small ones that the unit tests use are also copied to
  common/src/test/resources/fixtures/architectures/ (one-logit, aux-first, aux-optional,
  nan-input-gradient, depthwise, view-flatten).
"""
import os
import shutil
import sys
from typing import Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from lethe_models import png_bytes, read_idx

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "common", "src", "test", "resources", "fixtures",
                        "architectures")
TINTS = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.2, 0.2], [0.2, 1.0, 0.2], [0.2, 0.2, 1.0],
                      [1.0, 1.0, 0.2], [1.0, 0.2, 1.0], [0.2, 1.0, 1.0], [1.0, 0.6, 0.2],
                      [0.6, 0.2, 1.0], [0.2, 0.6, 0.4], [0.7, 0.7, 0.7], [0.5, 0.3, 0.1]])


def conv_net(norm):
    def block(cin, cout, hw):
        layers = [nn.Conv2d(cin, cout, 3, 1, 1)]
        if norm == "layer":
            layers.append(nn.LayerNorm([cout, hw, hw]))
        elif norm == "group":
            layers.append(nn.GroupNorm(4, cout))
        elif norm == "instance":
            layers.append(nn.InstanceNorm2d(cout, affine=True))
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
        return layers

    return nn.Sequential(*block(3, 8, 16), *block(8, 16, 8), nn.Flatten(), nn.Linear(16 * 4 * 4, 10))


class Dropout(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2))
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(16 * 4 * 4, classes)

    def forward(self, x):
        return self.fc(self.drop(self.features(x).flatten(1)))


class AuxTrain(nn.Module):
    """Returns (logits, aux) in train mode and logits in eval mode, as torchvision's GoogLeNet and
    Inception v3 do in eager mode; `aux_first` swaps the pair."""

    aux_first: bool

    def __init__(self, aux_first=False):
        super().__init__()
        self.aux_first = aux_first
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.MaxPool2d(2))
        self.body = nn.Sequential(nn.Conv2d(8, 16, 3, 1, 1), nn.BatchNorm2d(16), nn.ReLU(),
                                  nn.MaxPool2d(2))
        self.aux = nn.Linear(8 * 8 * 8, 10)
        self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        mid = self.stem(x)
        logits = self.fc(self.body(mid).flatten(1))
        if self.training:
            aux = self.aux(mid.flatten(1))
            if self.aux_first:
                return aux, logits
            return logits, aux
        return logits


class AuxOptional(AuxTrain):
    """Returns (logits, aux) in train mode and (logits, None) in eval mode, as torchvision's
    GoogLeNet and Inception v3 do once scripted."""

    def forward(self, x) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        mid = self.stem(x)
        logits = self.fc(self.body(mid).flatten(1))
        if self.training:
            return logits, self.aux(mid.flatten(1))
        return logits, None


class NanInputGradient(nn.Module):
    """Finite logits, but a NaN gradient with respect to the input: sqrt(x - x) is 0 going forward
    and 0.5 / sqrt(0) * 0 = NaN going back (as a model with sqrt or pow at 0 has)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3 * 16 * 16, 10)

    def forward(self, x):
        return self.fc(x.flatten(1)) + torch.sqrt(x - x).sum(dim=(1, 2, 3)).unsqueeze(1)


class Depthwise(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 12, 3, 1, 1), nn.BatchNorm2d(12), nn.ReLU(),
            nn.Conv2d(12, 12, 3, 2, 1, groups=12), nn.BatchNorm2d(12), nn.ReLU(),
            nn.Conv2d(12, 24, 1), nn.BatchNorm2d(24), nn.ReLU(),
            nn.Conv2d(24, 24, 3, 2, 1, groups=24), nn.BatchNorm2d(24), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 10))

    def forward(self, x):
        return self.net(x)


class ViewFlatten(nn.Module):
    """Flattens with view, as LeNet-style code does: view needs NCHW-ordered activations."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        f = self.features(x)
        return self.fc(f.view(f.size(0), -1))


class Vit(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 4, 4)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, 17, dim) * 0.02)
        self.encoder = nn.TransformerEncoderLayer(dim, 2, 32, dropout=0.1, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], dim=1) + self.pos
        t = self.encoder(t)
        return self.head(self.norm(t[:, 0]))


def load_digits():
    """The committed fixture digits (make_fixtures.py): train then test, with their split."""
    parts = [(read_idx(os.path.join(os.path.dirname(FIXTURES), f"digits-{n}-images-idx3-ubyte.gz")),
              read_idx(os.path.join(os.path.dirname(FIXTURES), f"digits-{n}-labels-idx1-ubyte.gz")))
             for n in ("train", "test")]
    pixels = torch.cat([p[0] for p in parts]).float().div(255).view(-1, 1, 8, 8)
    labels = torch.cat([p[1] for p in parts]).long()
    big = F.interpolate(pixels, scale_factor=2, mode="bilinear", align_corners=False).clamp(0, 1)
    tint = torch.from_numpy(np.random.RandomState(1).randint(0, len(TINTS), len(labels))).long()
    rgb = big * TINTS[tint].view(-1, 3, 1, 1)
    rgb = (rgb * 255).round().div(255)
    n = len(parts[0][1])
    return rgb, labels, tint, torch.arange(n), torch.arange(n, len(labels))


def write_folder(root, images, labels, idx):
    for i in idx.tolist():
        d = os.path.join(root, str(int(labels[i])))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"{i:04d}.png"), "wb") as f:
            f.write(png_bytes((images[i] * 255).round().to(torch.uint8)))


def train(model, x, y, epochs=25, lr=3e-3, loss=None):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), 64):
            b = perm[i:i + 64]
            out = model(x[b])
            if isinstance(out, tuple) and out[1] is not None:
                main, aux = (out[1], out[0]) if getattr(model, "aux_first", False) else out
                value = F.cross_entropy(main, y[b]) + 0.3 * F.cross_entropy(aux, y[b])
            elif loss is not None:
                value = loss(out, y[b])
            else:
                value = F.cross_entropy(out, y[b])
            opt.zero_grad()
            value.backward()
            opt.step()
    model.eval()


@torch.no_grad()
def accuracy(model, x, y, one_logit=False):
    model.eval()
    out = model(x)
    out = out[0] if isinstance(out, tuple) else out
    pred = (out[:, 0] > 0).long() if one_logit else out.argmax(1)
    return (pred == y).float().mean().item()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/lethe-architectures"
    torch.set_num_threads(2)
    os.makedirs(out, exist_ok=True)
    x, digit, tint, tr, te = load_digits()
    for name, labels, keep in (("data", digit, None), ("data120", digit * 12 + tint, None),
                               ("data2", digit, digit < 2)):
        root = os.path.join(out, name)
        shutil.rmtree(root, ignore_errors=True)
        for split, idx in (("train", tr), ("test", te)):
            chosen = idx if keep is None else idx[keep[idx]]
            write_folder(os.path.join(root, split), x, labels, chosen)
    tr2, te2 = tr[digit[tr] < 2], te[digit[te] < 2]

    models = {
        "dropout": (Dropout(), digit, tr, te),
        "aux-train": (AuxTrain(), digit, tr, te),
        "aux-first": (AuxTrain(aux_first=True), digit, tr, te),
        "aux-optional": (AuxOptional(), digit, tr, te),
        "no-norm": (conv_net(None), digit, tr, te),
        "layernorm": (conv_net("layer"), digit, tr, te),
        "groupnorm": (conv_net("group"), digit, tr, te),
        "instancenorm": (conv_net("instance"), digit, tr, te),
        "depthwise": (Depthwise(), digit, tr, te),
        "view-flatten": (ViewFlatten(), digit, tr, te),
        "vit": (Vit(), digit, tr, te),
        "two-class": (Dropout(classes=2), digit, tr2, te2),
        "classes120": (Dropout(classes=120), digit * 12 + tint, tr, te),
    }
    for name, (model, labels, a, b) in models.items():
        train(model, x[a], labels[a], epochs=60 if name == "classes120" else 25)
        params = sum(p.numel() for p in model.parameters())
        torch.jit.script(model).save(os.path.join(out, name + ".pt"))
        print(f"{name}: {params} parameters, test accuracy {accuracy(model, x[b], labels[b]):.3f}")

    one = Dropout(classes=1)
    train(one, x[tr2], digit[tr2],
          loss=lambda o, y: F.binary_cross_entropy_with_logits(o[:, 0], y.float()))
    torch.jit.script(one).save(os.path.join(out, "one-logit.pt"))
    print(f"one-logit: test accuracy {accuracy(one, x[te2], digit[te2], one_logit=True):.3f}")

    torch.manual_seed(0)
    torch.jit.script(NanInputGradient().eval()).save(os.path.join(out, "nan-input-gradient.pt"))

    os.makedirs(FIXTURES, exist_ok=True)
    for name in ("one-logit", "aux-first", "aux-optional", "nan-input-gradient", "depthwise",
                 "view-flatten"):
        shutil.copy(os.path.join(out, name + ".pt"), os.path.join(FIXTURES, name + ".pt"))


if __name__ == "__main__":
    main()
