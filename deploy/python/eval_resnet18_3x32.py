"""Measures a TorchScript model of the scale benchmark in PyTorch, independently of Lethe: test
accuracy on Fashion-MNIST's test images padded to 3x32x32 (as make_resnet18_3x32.py writes them),
with the normalisation of the model's sidecar, and how many images each class received.

    /usr/bin/python3 deploy/python/eval_resnet18_3x32.py MODEL.pt [MODEL.pt ...] [--limit N]

For a run of deploy/bin/bench-scale --keep: <run dir>/out/fashion-resnet18-3x32/<version>/model.pt
(its sidecar model.lethe.json sits next to it). The numbers should match the report's
test.accuracy_after up to the images --held-out-from-test took out.
"""
import argparse
import json
import os

import torch

from lethe_models import sidecar_path
from make_resnet18_3x32 import REPO, load


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="+")
    p.add_argument("--data", default=os.path.join(REPO, "data", "fashion-mnist"))
    p.add_argument("--limit", type=int, default=10000)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    x8, y = load(args.data, "t10k", args.limit)
    x = x8.float().div(255)
    for path in args.models:
        with open(sidecar_path(path)) as f:
            side = json.load(f)
        mean = torch.tensor(side["mean"]).view(1, -1, 1, 1)
        std = torch.tensor(side["std"]).view(1, -1, 1, 1)
        model = torch.jit.load(path)
        saved_training = model.training
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model((x[i:i + 500] - mean) / std).argmax(1)
                              for i in range(0, len(x), 500)])
        print(json.dumps({"model": path, "saved_in_training_mode": saved_training,
                          "images": len(x), "accuracy": round((pred == y).float().mean().item(), 6),
                          "predicted_per_class": torch.bincount(pred, minlength=10).tolist()}))


if __name__ == "__main__":
    main()
