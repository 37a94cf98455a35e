"""Builds the unit tests' misshapen models from the committed digits MLP (a few seconds):

    /usr/bin/python3 deploy/python/make_misshapen_models.py

Each wraps common/src/test/resources/fixtures/digits-mlp.pt so that it breaks one thing Lethe
needs of a classifier, as users' models do (ClassifierMisshapenTest):
  returns-tuple.pt   forward returns (features, logits)
  returns-int64.pt   forward returns the logits as int64
  returns-nan.pt     forward returns NaN logits
  frozen.pt          torch.jit.freeze: the weights are constants, nothing can be trained
and one wraps the committed digits CNN (with a copy of its sidecar), which forgets at the tests'
settings where the MLP stops short:
  cnn-softmax.pt     forward ends in a softmax: probabilities, not logits (Lethe reads their log)
"""
import os
import shutil

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "common", "src", "test", "resources", "fixtures")
OUT = os.path.join(FIXTURES, "misshapen")


class ReturnsTuple(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return x.flatten(1), self.inner(x)


class ReturnsInt64(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x).long()


class ReturnsNan(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x) * float("nan")


class ReturnsSoftmax(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return torch.softmax(self.inner(x), dim=1)


def main():
    os.makedirs(OUT, exist_ok=True)
    mlp = torch.jit.load(os.path.join(FIXTURES, "digits-mlp.pt"))
    for name, wrapper in (("returns-tuple", ReturnsTuple), ("returns-int64", ReturnsInt64),
                          ("returns-nan", ReturnsNan)):
        torch.jit.script(wrapper(mlp)).save(os.path.join(OUT, name + ".pt"))
    cnn = torch.jit.load(os.path.join(FIXTURES, "digits-cnn-bn.pt"))
    torch.jit.script(ReturnsSoftmax(cnn)).save(os.path.join(OUT, "cnn-softmax.pt"))
    shutil.copy(os.path.join(FIXTURES, "digits-cnn-bn.lethe.json"),
                os.path.join(OUT, "cnn-softmax.lethe.json"))
    torch.jit.freeze(torch.jit.script(ReturnsInt64(mlp).inner).eval()).save(
        os.path.join(OUT, "frozen.pt"))
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
