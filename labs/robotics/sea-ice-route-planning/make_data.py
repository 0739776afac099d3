"""Generate the invented bay map of the sea-ice-route-planning lab.

The map is INVENTED and does not show any real place. It is a grid of characters:

    L  land (snow-covered)        .  solid sea ice
    r  rough ice, pressure ridges t  thin ice
    ~  open water (a lead)        S  start (on land, west shore)   G  goal (camp, east shore)

A lead of open water meanders from the north edge to the south edge of the bay; two
narrow places are bridged by thin ice and one, far to the south, by solid ice. Rough
ice is scattered in seeded random patches. Changing SEED gives another plausible bay.

Run from this folder:  python make_data.py   (writes source/data/bay_map.txt)
"""

from __future__ import annotations

import random
from pathlib import Path

SEED = 7
ROWS, COLS = 24, 48
SHORE = 4  # columns of land on each side
LEAD_START = 22  # column of the lead at the north edge
THIN_BRIDGES = (5, 12)  # rows where thin ice bridges the lead
SOLID_BRIDGE = 22  # row where solid ice bridges it
RIDGE_PATCHES = 14


def build(seed: int = SEED) -> list[str]:
    rng = random.Random(seed)
    grid = [["." for _ in range(COLS)] for _ in range(ROWS)]
    for row in grid:
        row[:SHORE] = ["L"] * SHORE
        row[COLS - SHORE :] = ["L"] * SHORE
    for _ in range(RIDGE_PATCHES):
        r, c = rng.randrange(ROWS), rng.randrange(SHORE, COLS - SHORE)
        for _ in range(rng.randint(4, 10)):
            if SHORE <= c < COLS - SHORE:
                grid[r][c] = "r"
            r = min(ROWS - 1, max(0, r + rng.choice((-1, 0, 1))))
            c += rng.choice((-1, 0, 1, 1))
    column = LEAD_START
    for r in range(ROWS):
        width = rng.choice((2, 3, 3, 4))
        fill = "~"
        if r in THIN_BRIDGES:
            fill = "t"
        elif r == SOLID_BRIDGE:
            fill = "."
        for c in range(column, column + width):
            grid[r][c] = fill
        column = min(COLS - SHORE - 6, max(SHORE + 6, column + rng.choice((-1, 0, 1))))
    grid[12][1] = "S"
    grid[6][COLS - 2] = "G"
    return ["".join(row) for row in grid]


def main() -> None:
    out = Path(__file__).parent / "source" / "data" / "bay_map.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(build()) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
