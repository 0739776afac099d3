"""Generate the invented sea-ice station data of the sea-ice-cleaning lab (seeded).

Three made-up shore stations (NP1 "North Point", LB2 "Long Bay", IC3 "Inner Cove") record one
line a day from 1 November 2025 to 30 April 2026. The numbers are invented but follow real
physics: ice thickness grows like a * sqrt(freezing degree days) (Stefan's law), with a
different coefficient a per station. They describe no real place.

    python make_data.py            # rewrites source/data/ice_stations.csv

Mess added on purpose, for the learner to clean:
  * station codes typed with stray spaces or lower case;
  * a dozen lines entered twice;
  * LB2's logger set to Fahrenheit for four weeks (temp_unit "F");
  * IC3 records wind in m/s (wind_unit "m/s"), the others in km/h;
  * missing ice and snow readings (empty), short gaps and one 10-day gap;
  * sensor faults written as -999.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 7
OUT = Path(__file__).parent / "source" / "data" / "ice_stations.csv"
STATIONS = {"NP1": 2.3, "LB2": 2.7, "IC3": 3.0}  # Stefan coefficient, cm per sqrt(degC day)
START, END = "2025-11-01", "2026-04-30"


def station_frame(rng: np.random.Generator, code: str, a: float) -> pd.DataFrame:
    dates = pd.date_range(START, END, freq="D")
    t = np.arange(len(dates))
    offset = {"NP1": -1.5, "LB2": 0.0, "IC3": 1.0}[code]
    air = -4 - 26 * np.sin(np.pi * t / len(t)) ** 1.3 + offset + rng.normal(0, 4, len(t))
    fdd = np.cumsum(np.clip(-air, 0, None))
    ice = a * np.sqrt(fdd) + rng.normal(0, 2.5, len(t))
    snow = np.clip(5 + 30 * t / len(t) + rng.normal(0, 4, len(t)), 0, None)
    wind = np.abs(rng.gamma(2.0, 9.0, len(t)))  # km/h
    return pd.DataFrame({
        "date": dates.strftime("%Y-%m-%d"),
        "station": code,
        "air_temp": air.round(1),
        "temp_unit": "C",
        "wind_speed": wind.round(1),
        "wind_unit": "km/h",
        "ice_thickness_cm": ice.clip(0).round(1),
        "snow_depth_cm": snow.round(1),
    })


def main() -> None:
    rng = np.random.default_rng(SEED)
    frames = []
    for code, a in STATIONS.items():
        df = station_frame(rng, code, a)
        n = len(df)
        # missing ice readings: short gaps of 1-3 days, and one long gap at NP1
        for _ in range(8):
            start = int(rng.integers(5, n - 5))
            df.loc[start:start + int(rng.integers(0, 3)), "ice_thickness_cm"] = np.nan
        if code == "NP1":
            df.loc[70:79, "ice_thickness_cm"] = np.nan  # 10 days: 2026-01-10 .. 2026-01-19
        for row in rng.choice(n, 3, replace=False):
            df.loc[row, "ice_thickness_cm"] = -999.0
        for row in rng.choice(n, 4, replace=False):
            df.loc[row, "snow_depth_cm"] = -999.0
        if code == "LB2":
            mask = (df["date"] >= "2026-01-10") & (df["date"] <= "2026-02-06")
            df.loc[mask, "air_temp"] = (df.loc[mask, "air_temp"] * 9 / 5 + 32).round(1)
            df.loc[mask, "temp_unit"] = "F"
        if code == "IC3":
            df["wind_speed"] = (df["wind_speed"] / 3.6).round(1)
            df["wind_unit"] = "m/s"
        frames.append(df)
    data = pd.concat(frames, ignore_index=True)
    duplicates = data.iloc[np.sort(rng.choice(len(data), 12, replace=False))]
    data = pd.concat([data, duplicates]).sort_values(["date", "station"], kind="stable")
    messy = rng.random(len(data)) < 0.1
    variants = [" {}", "{} ", "{}"]
    data["station"] = [
        rng.choice(variants).format(code.lower() if rng.random() < 0.5 else code) if m else code
        for code, m in zip(data["station"], messy, strict=True)
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    data.to_csv(OUT, index=False)


if __name__ == "__main__":
    main()
