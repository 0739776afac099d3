"""Robotics track: `northlab check` passes, wrong solutions lose the right points, data is
reproducible. All grading is real (sandboxed engine, no mocks)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from functools import partial

import labtools
import pytest
from labtools import LABS

TRACK = LABS / "robotics"
grade = partial(labtools.grade, TRACK)
mutate_notebook = partial(labtools.mutate_notebook, TRACK)


def test_kinematics_rejects_euler_steps():
    exact = "x += v / omega * (math.sin(new_theta) - math.sin(theta))"
    files = mutate_notebook("diff-drive-kinematics", exact,
                            "x += v * dt * math.cos(theta)")
    passed = grade("diff-drive-kinematics", files)
    assert passed["test-body-velocity"] and passed["test-track-speeds"]
    assert not passed["test-step-pose"]


def test_route_planner_needs_costs_not_steps():
    files = mutate_notebook(
        "sea-ice-route-planning",
        "    start, goal = tuple(start), tuple(goal)\n    costs = cell_costs(grid, margin_penalty)",
        "    return fewest_steps(grid, start, goal)\n    costs = None")
    passed = grade("sea-ice-route-planning", files)
    assert passed["test-bfs"] and passed["test-cell-costs"]
    assert not passed["test-safest"]


NAIVE_PID = '''
class PID:
    def __init__(self, kp, ki, kd, out_min=-1.0, out_max=1.0):
        self.kp, self.ki, self.kd = kp, ki, kd
        self.out_min, self.out_max = out_min, out_max
        self.reset()

    def reset(self):
        self.integral, self.last_error = 0.0, None

    def update(self, setpoint, measurement, dt):
        if dt <= 0:
            raise ValueError("dt")
        error = setpoint - measurement
        self.integral += error * dt
        derivative = 0.0 if self.last_error is None else (error - self.last_error) / dt
        self.last_error = error
        out = self.kp * error + self.ki * self.integral + self.kd * derivative
        return min(self.out_max, max(self.out_min, out))


def make_speed_controller():
    return PID(1.5, 0.6, 0.1)
'''


def test_pid_without_anti_windup_loses_points():
    passed = grade("pid-speed-control", {"controller.py": NAIVE_PID.encode()})
    assert passed["test_proportional"] and passed["test_integral"]
    assert not passed["test_anti_windup"]
    assert not passed["test_derivative_on_measurement"]
    assert not all(passed.values())


ALWAYS_FULL_BRAKE = '''
class PID:
    def __init__(self, kp, ki, kd, out_min=-1.0, out_max=1.0):
        self.out_min = out_min

    def reset(self):
        pass

    def update(self, setpoint, measurement, dt):
        return self.out_min


def make_speed_controller():
    return PID(0.0, 0.0, 0.0)
'''


def test_pid_that_always_brakes_earns_nothing():
    passed = grade("pid-speed-control", {"controller.py": ALWAYS_FULL_BRAKE.encode()})
    assert not any(passed.values())


def test_marker_mask_must_reject_dark_rocks():
    files = mutate_notebook("trail-marker-steering",
                            "return cv2.inRange(hsv, LOWER_HSV, UPPER_HSV)",
                            "return cv2.inRange(hsv, (5, 120, 0), UPPER_HSV)")
    passed = grade("trail-marker-steering", files)
    assert passed["test-steering"] and passed["test-distance"]
    assert not passed["test-mask"]


@pytest.mark.parametrize("lab_id, data", [
    ("diff-drive-kinematics", "source/data/delivery_run.csv"),
    ("sea-ice-route-planning", "source/data/bay_map.txt"),
    ("trail-marker-steering", "source/data/frames.csv"),
])
def test_invented_data_is_reproducible(tmp_path, lab_id, data):
    shutil.copy(TRACK / lab_id / "make_data.py", tmp_path / "make_data.py")
    subprocess.run([sys.executable, "make_data.py"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=60)
    assert (tmp_path / data).read_bytes() == (TRACK / lab_id / data).read_bytes()


def test_invented_frames_are_reproducible(tmp_path):
    import cv2
    import numpy as np

    lab = TRACK / "trail-marker-steering"
    shutil.copy(lab / "make_data.py", tmp_path / "make_data.py")
    subprocess.run([sys.executable, "make_data.py"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=60)
    frames = sorted((lab / "source" / "data").glob("frame_*.png"))
    assert len(frames) == 6
    for frame in frames:
        fresh = cv2.imread(str(tmp_path / "source" / "data" / frame.name))
        assert np.array_equal(fresh, cv2.imread(str(frame))), frame.name
