"""experiments.unseeded: the reading of a run (lost digits, silent output
neurons, since when) on made-up records, and the script end to end, resuming
from its records."""

from __future__ import annotations

import json

import pytest

from experiments import unseeded


def _record(seed: int, finals: list[float], recalls: list[list[float]],
            max_activation: list[float] | None = None) -> dict:
    counts = [100] * 10
    epochs = [{"recall": r, "counts": counts, "max_activation": max_activation or [0.9] * 10,
               "mean_activation": [0.1] * 10} for r in recalls]
    return {"config": {"seed": seed}, "test_accuracy": finals, "epochs": epochs}


def test_what_went_wrong_names_the_lost_digit_and_the_silent_neuron():
    good = [0.95] * 10
    lost = [0.95] * 7 + [0.0] + [0.95] * 2
    record = _record(4, [0.9, 0.86, 0.86], [good, lost, lost], [0.9] * 7 + [1e-5] + [0.9] * 2)
    record["epochs"][-1]["counts"] = [120] * 7 + [0] + [120, 160]
    w = unseeded.what_went_wrong(record)
    assert w["lost"] == [7] and w["silent"] == [7] and w["never"] == [7]
    assert w["top"] == (9, pytest.approx(160 / 1120))
    assert unseeded.since(record, w["lost"]) == "2"
    assert unseeded.since(record, []) == ""
    # lost, found again, lost again: since the last time it was lost for good
    record["epochs"].insert(1, {**record["epochs"][0]})
    record["epochs"][0] = {**record["epochs"][2]}
    assert unseeded.since(record, [7]) == "3"
    assert unseeded.lost_at({"lost_at": {"1": [2, 6], "2": [2], "3": [2], "5": [2]}}) == \
        "2, 6 in epoch 1; 2 in epochs 2-3; 2 in epoch 5"


def test_wilson_interval():
    low, high = unseeded.wilson(0, 40)
    assert low == 0 and 0.08 < high < 0.09
    low, high = unseeded.wilson(1, 4)
    assert low < 0.25 < high and 0 <= low and high <= 1


def test_the_script_writes_its_outputs_and_resumes(tmp_path, mnist_dir, capsys):
    argv = ["--quick", "--seeds", "2", "--jobs", "1", "--data-dir", str(mnist_dir),
            "--out", str(tmp_path / "out"), "--docs", str(tmp_path / "docs" / "unseeded")]
    assert unseeded.main(argv) == 0
    text = (tmp_path / "docs" / "unseeded.md").read_text()
    assert "of 2 runs" in text and "Made by `python -m experiments.unseeded --quick" in text
    runs = sorted((tmp_path / "out" / "runs").glob("seed*.json"))
    assert len(runs) == 2
    record = json.loads(runs[0].read_text())
    assert len(record["epochs"]) == 2 and len(record["epochs"][0]["recall"]) == 10
    assert "machine" in record["versions"]
    capsys.readouterr()
    assert unseeded.main(argv) == 0  # a rerun trains nothing
    assert "2 runs: 2 reused" in capsys.readouterr().out
