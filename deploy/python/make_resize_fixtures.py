"""Builds the resize fixtures: what torchvision's Resize then CenterCrop(crop) hand a model.

    /usr/bin/python3 deploy/python/make_resize_fixtures.py      # needs Debian's python3-pil

torchvision is not in Debian, so its two steps are written out here as torchvision 0.15-0.20 runs
them on a PIL image: Resize(size) resizes with PIL's Image.resize(..., BILINEAR) to the shorter side
size (the longer side int(size * long / short)), Resize((h, w)) to exactly h x w; CenterCrop pads an image smaller than the crop with
zeros ((crop - side) // 2 before) and crops at int(round((side - crop) / 2)). The pixels are PIL's.

Writes common/src/test/resources/fixtures/resize/: per case an input PNG (seeded noise with a
gradient, so that both shrinking and enlarging average different values) and PIL's output PNG,
and cases.json naming them with size (an int, or [h, w]) and crop. ResizeTest reads them.
"""
import json
import os

import random

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "common", "src", "test", "resources", "fixtures", "resize")

# (name, mode, height, width, resize size (int: shorter side; (h, w): exact), crop height, crop width)
CASES = [
    ("rgb-shrink-wide", "RGB", 37, 61, 16, 16, 16),
    ("rgb-shrink-tall", "RGB", 90, 45, 24, 20, 20),
    ("gray-enlarge", "L", 7, 11, 20, 16, 16),
    ("rgb-enlarge-pad", "RGB", 9, 9, 12, 14, 14),
    ("gray-rect-crop", "L", 50, 64, 32, 28, 30),
    ("rgb-odd-offset", "RGB", 33, 47, 21, 20, 18),
    ("rgb-exact-squash", "RGB", 30, 52, (12, 12), 12, 12),
    ("gray-exact-stretch-crop", "L", 40, 9, (10, 14), 8, 12),
]


def resize(img, size):
    w, h = img.size
    if isinstance(size, tuple):
        new_h, new_w = size
        return img if (new_w, new_h) == (w, h) else img.resize((new_w, new_h), Image.BILINEAR)
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_w, new_h) == (w, h):
        return img
    return img.resize((new_w, new_h), Image.BILINEAR)


def center_crop(img, crop_h, crop_w):
    w, h = img.size
    if crop_w > w or crop_h > h:
        left = (crop_w - w) // 2 if crop_w > w else 0
        top = (crop_h - h) // 2 if crop_h > h else 0
        right = (crop_w - w + 1) // 2 if crop_w > w else 0
        bottom = (crop_h - h + 1) // 2 if crop_h > h else 0
        padded = Image.new(img.mode, (w + left + right, h + top + bottom), 0)
        padded.paste(img, (left, top))
        img = padded
        w, h = img.size
    top = int(round((h - crop_h) / 2.0))
    left = int(round((w - crop_w) / 2.0))
    return img.crop((left, top, left + crop_w, top + crop_h))


def pixel(ramp, rng, channels):
    values = tuple(min(255, ramp + rng.randrange(96)) for _ in range(channels))
    return values if channels > 1 else values[0]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(7)
    cases = []
    for name, mode, h, w, size, crop_h, crop_w in CASES:
        channels = 3 if mode == "RGB" else 1
        img = Image.new(mode, (w, h))
        img.putdata(
            [
                pixel(160 * x // max(1, w - 1) + 60 * y // max(1, h - 1), rng, channels)
                for y in range(h)
                for x in range(w)
            ]
        )
        out = center_crop(resize(img, size), crop_h, crop_w)
        img.save(os.path.join(OUT, name + "-in.png"))
        out.save(os.path.join(OUT, name + "-out.png"))
        cases.append(
            {"name": name, "size": list(size) if isinstance(size, tuple) else size,
             "height": crop_h, "width": crop_w}
        )
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"pil": Image.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote", len(cases), "cases to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
