"""Generate the invented aerial images of the ice-floe-counting lab (seeded).

Each image is a 192 x 192 grey-level "aerial view" of open water (dark, with uneven
lighting) and ice floes (bright ellipses with some texture), plus bright specks (small bits of
brash ice, glare) that are not floes. One pixel stands for 10 m. The images are drawn by this
script, not photographed; they show no real place.

    python make_data.py            # rewrites source/data/floes_*.png and floes_truth.csv

floes_truth.csv (not released: it lives next to this script) lists, per image, the number of
floes drawn and their true areas in pixels, for instructors and tests.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

SEED = 64
SIZE = 192
HERE = Path(__file__).parent
OUT = HERE / "source" / "data"
FLOES_PER_IMAGE = [7, 12, 18, 25]


def draw_scene(rng: np.random.Generator, n_floes: int) -> tuple[np.ndarray, list[int]]:
    """One image and the true pixel area of each floe."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    image = 45 + 35 * (xx + yy) / (2 * SIZE) + rng.normal(0, 6, (SIZE, SIZE))
    floes: list[tuple[float, float, float]] = []  # centre y, x and bounding radius
    areas = []
    while len(floes) < n_floes:
        a, b = rng.uniform(4, 16), rng.uniform(4, 16)
        cy, cx = rng.uniform(a + 3, SIZE - a - 3), rng.uniform(a + 3, SIZE - a - 3)
        r = max(a, b)
        if cx - r < 3 or cx + r > SIZE - 3 or cy - r < 3 or cy + r > SIZE - 3:
            continue
        if any(np.hypot(cy - y, cx - x) < r + q + 6 for y, x, q in floes):
            continue  # keep floes apart, so each one is one object
        angle = rng.uniform(0, np.pi)
        u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        inside = (u / a) ** 2 + (v / b) ** 2 <= 1
        image[inside] = rng.uniform(185, 225) + rng.normal(0, 8, inside.sum())
        floes.append((cy, cx, r))
        areas.append(int(inside.sum()))
    for _ in range(40):  # specks: 1 to 2 pixels, bright, not floes
        y, x = rng.integers(0, SIZE - 2, 2)
        size = int(rng.integers(1, 3))
        image[y:y + size, x:x + size] = rng.uniform(170, 230)
    return np.clip(image, 0, 255).astype(np.uint8), areas


def main() -> None:
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, n_floes in enumerate(FLOES_PER_IMAGE, start=1):
        image, areas = draw_scene(rng, n_floes)
        name = f"floes_{number:02d}.png"
        cv2.imwrite(str(OUT / name), image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        rows.append([name, n_floes, sum(areas), " ".join(map(str, sorted(areas)))])
    with open(HERE / "floes_truth.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["file", "floes", "ice_pixels", "areas_px"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
