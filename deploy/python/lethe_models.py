"""Model definitions and IDX helpers shared by Lethe's model and fixture scripts.

Run with Debian's PyTorch: /usr/bin/python3 (package python3-torch). Every model takes NCHW float
images in [0,1]; normalisation is NOT part of the network: the JSON sidecar (model.pt ->
model.lethe.json, a name no other tool writes) declares mean/std and
Lethe applies them inside its forward pass, so attack distances stay in pixel units.
"""
import gzip
import hashlib
import json
import struct
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet18(nn.Module):
    """ResNet-18 with the CIFAR stem (3x3 conv, no max-pool); `width` is the first stage's channels."""

    def __init__(self, in_channels=1, num_classes=10, width=16):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        layers = []
        cin = width
        for i, blocks in enumerate([2, 2, 2, 2]):
            cout = width * (2 ** i)
            for b in range(blocks):
                layers.append(BasicBlock(cin, cout, 2 if (b == 0 and i > 0) else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layers(out)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)


class ResNetBlock(nn.Module):
    """A basic residual block with the parameter names of torchvision's: conv1/bn1/conv2/bn2 and, where
    the shape changes, a 1x1 `downsample` (conv + BatchNorm)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = nn.Identity()
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.downsample(x))


class ResNet18(nn.Module):
    """ResNet-18 in the ImageNet layout (He et al. 2016, table 1; torchvision's `resnet18`): a 7x7
    stride-2 stem with 64 channels, BatchNorm, ReLU and a 3x3 stride-2 max-pool, then four stages of
    two basic blocks with 64, 128, 256 and 512 channels (stride 2 from the second stage on), global
    average pooling and one linear layer. 11,181,642 parameters for 3 input channels and 10 classes.
    On 3x32x32 inputs the stages see 8x8, 4x4, 2x2 and 1x1 maps."""

    def __init__(self, in_channels=3, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        stages = []
        for i, cout in enumerate([64, 128, 256, 512]):
            stages.append(nn.Sequential(ResNetBlock(cin, cout, 1 if i == 0 else 2),
                                        ResNetBlock(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        out = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)


class Normalized(nn.Module):
    """Wraps a network with the sidecar's mean/std, for training and evaluating in PyTorch only."""

    def __init__(self, net, mean, std):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, x):
        return self.net((x - self.mean) / self.std)


def read_idx(path):
    """Reads an IDX file (gzipped or raw) into a uint8 tensor."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).view(*dims)


def write_idx(path, tensor):
    """Writes a uint8 tensor as a gzipped IDX file (deterministic: mtime 0)."""
    t = tensor.to(torch.uint8).contiguous()
    header = struct.pack(">HBB", 0, 0x08, t.dim()) + struct.pack(">" + "I" * t.dim(), *t.shape)
    with open(path, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            f.write(header + t.numpy().tobytes())


def png_bytes(image):
    """Encodes a CxHxW uint8 tensor (C = 1 or 3) as PNG bytes (8-bit grayscale or RGB, no filter),
    with the standard library only: deterministic for the same pixels."""
    c, h, w = image.shape
    if c not in (1, 3):
        raise ValueError(f"PNG needs 1 or 3 channels, got {c}")
    rows = image.permute(1, 2, 0).contiguous().numpy().reshape(h, w * c)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 0 if c == 1 else 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6))
            + chunk(b"IEND", b""))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@torch.no_grad()
def accuracy(model, images, labels, batch=1000):
    model.eval()
    correct = 0
    for i in range(0, len(images), batch):
        correct += (model(images[i:i + batch]).argmax(1) == labels[i:i + batch]).sum().item()
    return correct / len(images)


def sidecar_path(model_path):
    """Lethe's sidecar of a model file: model.pt -> model.lethe.json."""
    return model_path[: model_path.rfind(".")] + ".lethe.json"


def save_torchscript(net, path, sidecar):
    """Saves `net` (without normalisation) as TorchScript and writes its sidecar (sidecar_path)."""
    net.eval()
    torch.jit.script(net).save(path)
    sidecar = dict(sidecar)
    sidecar["sha256"] = sha256(path)
    with open(sidecar_path(path), "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")
    return sidecar
