"""Generate the invented sprite sheet of the sprite-animation lab.

The sheet is original, made-up pixel art: a small rover robot, 16 x 16 pixels per frame,
4 frames per row. Row 0: idle (antenna light blinking), row 1: driving (wheels turning),
row 2: jump, fall and landing. Frames are drawn with simple rectangles so each one differs
a little from the others.

Run from this folder:  python make_data.py   (writes source/data/rover_sheet.png)
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

SIZE = 16  # pixels per frame side
COLUMNS, ROWS = 4, 3
SKY = (245, 240, 235)  # BGR, background
BODY = (60, 110, 200)  # orange-brown body
WHEEL = (40, 40, 40)
LIGHT_ON, LIGHT_OFF = (60, 220, 80), (40, 90, 50)


def frame(row: int, column: int) -> np.ndarray:
    """One 16 x 16 frame of the rover."""
    image = np.full((SIZE, SIZE, 3), SKY, np.uint8)
    lift = {2: (1, 2, 1, 0)}.get(row, (0, 0, 0, 0))[column]  # height off the ground
    base = 12 - lift
    squash = 1 if (row, column) == (2, 3) else 0  # landing: the body squashes a little
    cv2.rectangle(image, (3 - squash, base - 6 + squash), (12 + squash, base - 1), BODY, -1)
    light = LIGHT_ON if (row, column % 2) == (0, 0) or row > 0 else LIGHT_OFF
    cv2.line(image, (10, base - 9), (10, base - 7), WHEEL, 1)
    image[base - 10, 10] = light
    for x in (4, 11):
        cv2.circle(image, (x, base + 1), 2, WHEEL, -1)
        if row == 1:  # a spoke that turns with the wheel
            dx, dy = [(1, 0), (0, 1), (-1, 0), (0, -1)][column]
            image[base + 1 + dy, x + dx] = SKY
    return image


def main() -> None:
    sheet = np.concatenate(
        [np.concatenate([frame(r, c) for c in range(COLUMNS)], axis=1) for r in range(ROWS)])
    out = Path(__file__).parent / "source" / "data" / "rover_sheet.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), sheet)
    print(f"wrote {out} ({sheet.shape[1]} x {sheet.shape[0]})")


if __name__ == "__main__":
    main()
