"""Generate the invented power-plant data of the energy-demand-model lab (seeded).

An invented community of about a thousand people, at about 64 degrees north, runs its own
diesel power plant. One line per day: weather, daylight, calendar, and the electricity the
plant produced (load_mwh). The relationship is made up but shaped like real northern use:
more power on cold, windy, dark days, less on weekends and holidays.

    python make_data.py            # rewrites source/data/plant_2023_2024.csv

The graded notebook holds a copy of ``generate`` in a hidden test cell: it draws a hidden
year (2025, another seed) from the same process, which learners never see.
tests/labs/test_ai_data.py checks that both copies stay identical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 2023
OUT = Path(__file__).parent / "source" / "data" / "plant_2023_2024.csv"


def generate(seed: int, start: str, days: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    doy = dates.day_of_year.to_numpy()
    noise = np.zeros(days)
    for i in range(1, days):  # weather comes in spells: AR(1) noise
        noise[i] = 0.7 * noise[i - 1] + rng.normal(0, 3.5)
    temp = -10 - 20 * np.cos(2 * np.pi * (doy - 15) / 365) + noise
    wind = rng.gamma(2.0, 10.0, days)
    declination = 23.44 * np.sin(2 * np.pi * (doy - 81) / 365)
    cos_hour = -np.tan(np.radians(64)) * np.tan(np.radians(declination))
    daylight = 24 / np.pi * np.arccos(np.clip(cos_hour, -1, 1))
    weekday = dates.day_of_week.to_numpy()
    holiday = np.isin(dates.strftime("%m-%d"), ["01-01", "07-01", "12-25", "12-26"])
    hdd = np.clip(18 - temp, 0, None)
    load = (9.0 + 0.16 * hdd + 0.004 * hdd * wind + 0.25 * (24 - daylight)
            - 0.9 * (weekday >= 5) - 1.2 * holiday + rng.normal(0, 0.5, days))
    return pd.DataFrame({
        "date": dates.strftime("%Y-%m-%d"),
        "mean_temp_c": temp.round(1),
        "wind_kmh": wind.round(1),
        "daylight_hours": daylight.round(2),
        "weekday": weekday,
        "holiday": holiday.astype(int),
        "load_mwh": load.round(2),
    })


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    generate(SEED, "2023-01-01", 731).to_csv(OUT, index=False)


if __name__ == "__main__":
    main()
