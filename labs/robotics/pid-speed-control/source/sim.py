"""A headless simulation of the supply rover, to try your controller (not graded).

The rover (150 kg) tows a sled with a load along a trail with hills. Your controller
reads the measured speed every DT seconds and returns a motor command between -1 (full
brake/reverse) and 1 (full power). The motor responds with a short lag; gravity on slopes,
rolling resistance in snow and air drag slow the rover down. All numbers are invented
but plausible for a small tracked utility robot.

    python sim.py          # runs the practice scenarios with your make_speed_controller()

The grader uses this same model on these and other scenarios (hills, heavier loads,
changes of target speed, a noisy speed sensor).
"""

from __future__ import annotations

import math
import random
from itertools import pairwise

DT = 0.05  # seconds per control step
G = 9.81  # m/s²
ROVER_KG = 150.0
MAX_FORCE = 1500.0  # newtons at command 1.0
MOTOR_LAG = 0.4  # seconds (first-order response of the motor force)
ROLLING = 0.06  # rolling resistance coefficient in packed snow
DRAG = 30.0  # newtons per m/s

# Thresholds used to judge a run (per target-speed segment, see the notebook).
SETTLE_BAND = 0.1  # m/s around the target
SETTLE_SECONDS = 8.0  # must stay inside the band from this long after a target change
MAX_OVERSHOOT = 0.3  # m/s above the target
STEADY_ERROR = 0.05  # mean |error| over the last 5 s of each segment

PRACTICE = {
    "flat": {"load_kg": 100, "seconds": 30, "slopes": [(0, 0.0)], "targets": [(0, 2.0)]},
    "uphill": {"load_kg": 200, "seconds": 30, "slopes": [(0, 6.0)], "targets": [(0, 2.0)]},
}


def _at(schedule, t):
    """Value of a step schedule [(start_time, value), ...] at time t."""
    value = schedule[0][1]
    for start, v in schedule:
        if t >= start:
            value = v
    return value


def _slope(profile, t):
    """Slope in degrees at time t: straight lines between the points [(time, degrees), ...]."""
    if t <= profile[0][0]:
        return profile[0][1]
    for (t0, a0), (t1, a1) in pairwise(profile):
        if t0 <= t < t1:
            return a0 + (a1 - a0) * (t - t0) / (t1 - t0)
    return profile[-1][1]


def simulate(update, scenario, noise_seed=0):
    """Run one scenario; ``update(target, measured, dt)`` is called every step.

    Returns a dict of lists: ``t``, ``speed``, ``target``, ``command``.
    """
    mass = ROVER_KG + scenario["load_kg"]
    noise = scenario.get("noise", 0.0)
    rng = random.Random(noise_seed)
    speed = force = 0.0
    log = {"t": [], "speed": [], "target": [], "command": []}
    for k in range(round(scenario["seconds"] / DT)):
        t = k * DT
        target = _at(scenario["targets"], t)
        measured = speed + (rng.gauss(0.0, noise) if noise else 0.0)
        command = max(-1.0, min(1.0, float(update(target, measured, DT))))
        force += (command * MAX_FORCE - force) * DT / MOTOR_LAG
        slope = math.radians(_slope(scenario["slopes"], t))
        resist = mass * G * (math.sin(slope) + ROLLING * math.cos(slope) * math.tanh(speed / 0.1))
        speed += (force - DRAG * speed - resist) / mass * DT
        for key, value in (("t", t), ("speed", speed), ("target", target), ("command", command)):
            log[key].append(value)
    return log


def judge(log, scenario):
    """Settling time, overshoot and steady error of each target segment of a run."""
    changes = [start for start, _ in scenario["targets"]] + [scenario["seconds"]]
    report = []
    for start, end in pairwise(changes):
        idx = [i for i, t in enumerate(log["t"]) if start <= t < end]
        target = log["target"][idx[0]]
        errors = [log["speed"][i] - target for i in idx]
        outside = [log["t"][i] - start
                   for i, e in zip(idx, errors, strict=True) if abs(e) > SETTLE_BAND]
        settle = outside[-1] + DT if outside else 0.0
        tail = [abs(e) for i, e in zip(idx, errors, strict=True) if log["t"][i] >= end - 5.0]
        report.append({
            "target": target,
            "settling_s": round(settle, 2),
            "overshoot": round(max(0.0, max(errors)), 3),
            "steady_error": round(sum(tail) / len(tail), 4),
        })
    return report


def main():
    from controller import make_speed_controller

    for name, scenario in PRACTICE.items():
        controller = make_speed_controller()
        for segment in judge(simulate(controller.update, scenario), scenario):
            ok = (segment["settling_s"] <= SETTLE_SECONDS
                  and segment["overshoot"] <= MAX_OVERSHOOT
                  and segment["steady_error"] <= STEADY_ERROR)
            print(f"{name:8s} {segment} {'OK' if ok else 'needs work'}")


if __name__ == "__main__":
    main()
