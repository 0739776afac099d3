"""AI and data track: `northlab check` passes, weaker answers lose the right points, the
invented data is reproducible, and the hidden year of the model lab comes from the same
process as the training file. All grading is real (sandboxed engine, no mocks)."""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import labtools
import numpy as np
import pandas as pd
import pytest
from labtools import LABS

from graders.lab import discover_labs, load_lab

TRACK = LABS / "ai-data"
grade = partial(labtools.grade, TRACK)
mutate_notebook = partial(labtools.mutate_notebook, TRACK)


def notebook_sources(lab_id: str) -> list[str]:
    notebook = json.loads(load_lab(TRACK / lab_id).notebook.read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in notebook["cells"]]


def test_filling_long_gaps_partly_loses_points():
    files = mutate_notebook(
        "sea-ice-cleaning",
        "return series.where(~(missing & (run_length <= max_days)), filled)",
        'return series.interpolate(limit=max_days, limit_area="inside")')
    passed = grade("sea-ice-cleaning", files)
    assert passed["test_mark_missing"] and passed["test_units"]
    assert not passed["test_fill_visible"] and not passed["test_pipeline_hidden"]


def test_linear_model_on_raw_columns_reaches_only_the_first_threshold():
    files = mutate_notebook(
        "energy-demand-model",
        'FEATURES = ["hdd", "dark_hours", "weekend", "holiday", "wind_kmh", "hdd_wind"]',
        'FEATURES = ["mean_temp_c", "wind_kmh", "daylight_hours", "weekday", "holiday"]')
    passed = grade("energy-demand-model", files)
    assert passed["test_predict_shape"] and passed["test_hidden_year_1"]
    assert not passed["test_hidden_year_2"]


def test_floe_counting_needs_min_area_and_8_connectivity():
    files = mutate_notebook("ice-floe-counting",
                            "_ = cv2.connectedComponentsWithStats(mask, connectivity=8)",
                            "_ = cv2.connectedComponentsWithStats(mask, connectivity=4)")
    passed = grade("ice-floe-counting", files)
    assert passed["test_count_visible"] and passed["test_survey_hidden"]
    assert not passed["test_count_hidden"]
    files = mutate_notebook("ice-floe-counting", "(a for a in areas if a >= min_area)",
                            "(a for a in areas if a >= 1)")
    passed = grade("ice-floe-counting", files)
    assert passed["test_mask_visible"]
    assert not passed["test_count_visible"] and not passed["test_survey_hidden"]


def test_floe_areas_must_list_every_floe():
    only_three_largest = (
        "    return sorted((a for a in areas if a >= min_area), reverse=True)[:3]\n"
        "    ### END SOLUTION\n\n\n"
        "def count_floes(mask, min_area=20):\n"
        "    ### BEGIN SOLUTION\n"
        "    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)\n"
        "    return sum(int(stats[i, cv2.CC_STAT_AREA]) >= min_area for i in range(1, count))")
    files = mutate_notebook(
        "ice-floe-counting",
        "    return sorted((a for a in areas if a >= min_area), reverse=True)\n"
        "    ### END SOLUTION\n\n\n"
        "def count_floes(mask, min_area=20):\n"
        "    ### BEGIN SOLUTION\n"
        "    return len(floe_areas_px(mask, min_area))",
        only_three_largest)
    passed = grade("ice-floe-counting", files)
    assert passed["test_count_visible"]
    assert not passed["test_count_hidden"]


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(f"make_data_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hidden_year_comes_from_the_training_process():
    """The hidden test cell's copy of ``generate`` must stay the same as make_data.py's."""
    make_data = load_module(TRACK / "energy-demand-model" / "make_data.py")
    cells = [s for s in notebook_sources("energy-demand-model") if "def _generate(" in s]
    assert len(cells) == 2  # both hidden-threshold cells
    for source in cells:
        tree = ast.parse(source)
        func = next(node for node in tree.body
                    if isinstance(node, ast.FunctionDef) and node.name == "_generate")
        namespace = {"np": np, "pd": pd}
        exec(compile(ast.Module(body=[func], type_ignores=[]), "<cell>", "exec"), namespace)
        for seed, start in ((2025_777, "2025-01-01"), (5, "2030-06-01")):
            pd.testing.assert_frame_equal(namespace["_generate"](seed, start, 365),
                                          make_data.generate(seed, start, 365))
        assert "2025_777" in source
    training = pd.read_csv(TRACK / "energy-demand-model/source/data/plant_2023_2024.csv")
    assert training["date"].max() < "2025-01-01"  # the hidden year is later than training


@pytest.mark.parametrize("lab_id, outputs", [
    ("sea-ice-cleaning", ["source/data/ice_stations.csv"]),
    ("energy-demand-model", ["source/data/plant_2023_2024.csv"]),
    ("ice-floe-counting", ["source/data/floes_01.png", "source/data/floes_02.png",
                           "source/data/floes_03.png", "source/data/floes_04.png",
                           "floes_truth.csv"]),
])
def test_invented_data_is_reproducible(tmp_path, lab_id, outputs):
    shutil.copy(TRACK / lab_id / "make_data.py", tmp_path / "make_data.py")
    subprocess.run([sys.executable, "make_data.py"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)
    for name in outputs:
        assert (tmp_path / name).read_bytes() == (TRACK / lab_id / name).read_bytes(), name


def test_data_stays_small():
    for lab in discover_labs(TRACK):
        size = sum(p.stat().st_size for p in (lab.source_dir / "data").rglob("*") if p.is_file())
        assert size < 300_000, f"{lab.id}: {size} bytes of data"
