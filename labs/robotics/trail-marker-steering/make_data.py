"""Generate the invented camera frames of the trail-marker-steering lab.

Each frame is a small synthetic picture (160 x 120, BGR like OpenCV) of a snowy trail as
seen from a rover's camera: noisy snow, a bluish shadow band near the bottom, a few dark
rocks and red debris that must NOT be mistaken for a marker, and (in most frames) one
orange trail marker seen as a disc. Nothing here is a photograph of a real place.

Run from this folder:  python make_data.py   (writes source/data/frame_*.png and
source/data/frames.csv with where the marker really is, for checking by eye)
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

SEED = 11
WIDTH, HEIGHT = 160, 120
SNOW = (235, 232, 228)  # BGR
SHADOW = (205, 175, 150)
ROCK = (40, 60, 90)  # dark brown: orange-ish hue, but too dark
DEBRIS = (30, 30, 200)  # red: bright, but the wrong hue
MARKER = (0, 120, 255)  # orange
# (marker centre or None, marker radius in pixels)
FRAMES = [((40, 60), 9), ((80, 55), 12), ((125, 70), 7), (None, 0), ((150, 30), 5),
          ((70, 95), 15)]


def scene(rng: np.random.Generator, marker: tuple[int, int] | None, radius: int) -> np.ndarray:
    """One synthetic camera frame."""
    image = np.full((HEIGHT, WIDTH, 3), SNOW, np.float64)
    image[HEIGHT * 2 // 3:] = SHADOW
    image += rng.normal(0, 6, image.shape)
    image = np.clip(image, 0, 255).astype(np.uint8)
    for colour in (ROCK, ROCK, DEBRIS):
        centre = (int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT)))
        cv2.circle(image, centre, int(rng.integers(4, 10)), colour, -1)
    if marker is not None:
        cv2.circle(image, marker, radius, MARKER, -1)
    return image


def main() -> None:
    rng = np.random.default_rng(SEED)
    out = Path(__file__).parent / "source" / "data"
    out.mkdir(parents=True, exist_ok=True)
    with (out / "frames.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "marker_x", "marker_y", "radius_px"])
        for index, (marker, radius) in enumerate(FRAMES):
            name = f"frame_{index}.png"
            cv2.imwrite(str(out / name), scene(rng, marker, radius))
            x, y = marker if marker else ("", "")
            writer.writerow([name, x, y, radius or ""])
    print(f"wrote {len(FRAMES)} frames to {out}")


if __name__ == "__main__":
    main()
