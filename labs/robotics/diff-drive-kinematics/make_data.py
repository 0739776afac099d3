"""Generate the invented wheel-speed log of the diff-drive-kinematics lab.

The log is INVENTED: a small two-track delivery rover drives one loop around a
rectangular block (east, north, west, south) and returns to where it started. Wheel
speeds come from the plan below plus seeded Gaussian encoder noise, so the
integrated path ends a little away from the start, as real odometry does.

Run from this folder:  python make_data.py   (writes source/data/delivery_run.csv)
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

SEED = 2026
DT = 0.1  # seconds between encoder samples
TRACK_WIDTH = 0.6  # metres between the two tracks
SPEED = 1.5  # metres per second on the straights
TURN_RATE = 0.5  # radians per second when turning on the spot
NOISE = 0.02  # standard deviation of the encoder noise, metres per second
# (straight length in metres) followed by a left quarter turn, four times round the block.
LEGS = [40.0, 25.0, 40.0, 25.0]


def plan() -> list[tuple[float, float]]:
    """Body velocities (v, omega) for every sample of the loop."""
    samples: list[tuple[float, float]] = []
    for length in LEGS:
        samples += [(SPEED, 0.0)] * round(length / SPEED / DT)
        samples += [(0.0, TURN_RATE)] * round((math.pi / 2) / TURN_RATE / DT)
    return samples


def main() -> None:
    rng = np.random.default_rng(SEED)
    out = Path(__file__).parent / "source" / "data" / "delivery_run.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["t_s", "v_left_mps", "v_right_mps"])
        for i, (v, omega) in enumerate(plan()):
            left = v - omega * TRACK_WIDTH / 2 + rng.normal(0, NOISE)
            right = v + omega * TRACK_WIDTH / 2 + rng.normal(0, NOISE)
            writer.writerow([f"{i * DT:.1f}", f"{left:.4f}", f"{right:.4f}"])
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
