"""The book's numbers side by side (``experiments.book``).

Fast tests check the script's machinery: the rows and their citations, the
``--rows`` selection, the statistics, chapter 5's definition of the speed of
learning, and a tiny real run that resumes.

The slow test (``pytest -m slow``) reruns the chapter-1, chapter-3
weight-initialization and chapter-5 rows with a seed the sweep never used,
and checks each against the distribution the full run measured
(``docs/book.json``, written by ``python -m experiments.book --docs docs/results/book``).
Its thresholds are not chosen by hand; they come from that spread.  From n
seeds with mean m and sample standard deviation s, one new run of the same
code falls in the 99 % prediction interval ``m ± t(0.995, n-1) s sqrt(1 + 1/n)``
99 % of the time (for normal runs; Student's t because s is itself
estimated), so

* the new run must fall in it: the code still makes the distribution the
  table reports;
* the book's figure must be a plausible draw too: inside the central 99 % of
  where one new run falls (p between 0.005 and 0.995, p = P(one new run <=
  the book's figure), the same Student's t); for the chapter-1 rows, whose
  figures the book took as the best of three runs, of where the best of three
  new runs falls (p cubed).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import network2
from experiments import book, book_numbers, book_stats, runner
from experiments.book_numbers import CLAIMS, ROW_NAMES, ROWS, RUNS

DOCS = Path(__file__).resolve().parent.parent / "docs" / "results" / "book.json"


# ---- the rows --------------------------------------------------------------


def test_rows_are_named_once_and_use_known_runs():
    assert len(set(ROW_NAMES)) == len(ROWS)
    for row in ROWS:
        assert row.run in RUNS, row.name
        assert row.metric in ("epoch1", "best", "last") or (
            row.metric.startswith("speed") and RUNS[row.run].driver == "speed"), row.name
        assert row.source and row.section.startswith("[")
        assert 0 < row.book < 1, row.name


def test_the_issues_rows_are_all_there():
    for name in ("ch1-30-epoch1", "ch1-30-best", "ch1-100-best", "ch1-100-eta0.001",
                 "ch1-30-eta100", "ch3-xent-30", "ch3-xent-100", "ch3-l2-30", "ch3-98",
                 "ch3-winit-30-new-epoch1", "ch3-winit-100-old-last", "ch5-speed-4-h4",
                 "ch5-acc-30-30", "ch5-acc-30-30-30", "ch5-acc-30-30-30-30"):
        assert name in ROW_NAMES


def test_speeds_agree_with_the_books_text():
    """The JSON's full-precision speeds round to the figures the text prints."""
    for k, norms in book_numbers._SPEEDS.items():
        text = book_numbers._SPEEDS_TEXT[k].replace("…", "").split(", ")
        for value, printed in zip(norms, text, strict=True):
            digits = len(printed.split(".")[1])
            assert round(value, digits) == pytest.approx(float(printed)), (k, printed)


def test_book_settings_are_the_books_calls():
    assert RUNS["ch1-30"].call() == (
        "`network.Network([784, 30, 10]).SGD(training_data, 30, 10, 3.0, test_data=test_data)`")
    assert RUNS["ch3-98"].call() == (
        "`network2.Network([784, 100, 10], cost=CrossEntropyCost); large_weight_initializer()`; "
        "`SGD(training_data, 60, 10, 0.1, lmbda=5.0, evaluation_data=validation_data, "
        "monitor_evaluation_accuracy=True)`")
    assert "training_data[:1000], 400, 10, 0.5, lmbda=0.1" in RUNS["ch3-l2-1000"].call()


# ---- the command line ------------------------------------------------------------


def test_rows_selects_by_name_and_lists_the_names(capsys):
    args = book.parse_args(["--rows", "ch3-98,ch1-30-best", "--seeds", "3"])
    assert args.rows == ["ch3-98", "ch1-30-best"] and args.seeds == [0, 1, 2]
    assert book.tasks_for(args) == [("ch1-30", 0), ("ch1-30", 1), ("ch1-30", 2),
                                    ("ch3-98", 0), ("ch3-98", 1), ("ch3-98", 2)]
    with pytest.raises(SystemExit):
        book.parse_args(["--rows", "ch1-30-best,ch9"])
    err = capsys.readouterr().err
    assert "unknown row 'ch9'; valid rows: ch1-30-epoch1, ch1-30-best" in err
    with pytest.raises(SystemExit):
        book.parse_args(["--help"])
    out = capsys.readouterr().out
    assert "ch5-speed-4-h4" in out and "--slow-seeds" in out and "--quick" in out


def test_defaults_quick_and_slow_seeds():
    args = book.parse_args([])
    assert args.seeds == [0, 1, 2, 3, 4] and args.speed_seeds == list(range(100))
    assert len(book.tasks_for(args)) == 18 * 5 + 3 * 100
    quick = book.parse_args(["--quick", "--rows", "ch5-speed-2-h1,ch1-30-best"])
    assert quick.seeds == quick.speed_seeds == [0, 1]
    assert book.tasks_for(quick) == [("ch1-30", 0), ("ch5-speed-2", 0), ("ch1-30", 1),
                                     ("ch5-speed-2", 1)]
    assert book.parse_args(["--quick", "--speed-seeds", "3"]).speed_seeds == [0, 1, 2]
    args = book.parse_args(["--rows", "ch1-100-best,ch1-30-best", "--slow-seeds", "2"])
    assert book.tasks_for(args) == [*(("ch1-30", s) for s in range(5)),
                                    ("ch1-100", 0), ("ch1-100", 1)]
    quick = book.run_config("ch3-l2-1000", 0, quick=True)
    assert (quick["epochs"], quick["train_size"]) == (26, 1000)
    assert book.run_config("ch5-speed-2", 0, quick=True) == book.run_config("ch5-speed-2", 0,
                                                                              quick=False)


# ---- the statistics ----------------------------------------------------------------


def _t_cdf(q: float, df: int) -> float:
    """Student's t CDF at q > 0, by integrating its density (no scipy)."""
    x = np.linspace(0.0, q, 200_001)
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    density = np.exp(log_c - (df + 1) / 2 * np.log1p(x * x / df))
    return 0.5 + float(np.trapezoid(density, x))


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 9, 10, 30, 99])
def test_t_distribution(df):
    for q in (0.3, 1.0, 2.5, 6.0):
        assert book_stats.t_cdf(q, df) == pytest.approx(_t_cdf(q, df), abs=1e-9)
        assert book_stats.t_cdf(-q, df) == pytest.approx(1 - book_stats.t_cdf(q, df), abs=1e-15)
    for p in (0.2924, 0.975, 0.995):
        assert book_stats.t_cdf(book_stats.t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)
    assert book_stats.t_cdf(0.0, df) == 0.5


def test_t_quantiles_match_the_tables():
    assert book_stats.t_quantile(0.975, 4) == pytest.approx(2.776, abs=5e-4)  # 5 seeds, 95 %
    assert book_stats.t_quantile(0.995, 4) == pytest.approx(4.604, abs=5e-4)
    assert book_stats.t_quantile(0.975, 1) == pytest.approx(12.706, abs=5e-4)


def test_summary_and_verdicts():
    values = [0.1, 0.2, 0.3, 0.4, 0.5]
    s = book_stats.summarize(values, 0.45)
    assert (s["mean"], s["n"], s["min"], s["max"]) == (pytest.approx(0.3), 5, 0.1, 0.5)
    assert s["sd"] == pytest.approx(np.std(values, ddof=1))
    assert s["z"] == pytest.approx(0.15 / s["sd"]) and s["percentile"] == 80
    assert s["pi95"] == pytest.approx(2.776 * s["sd"] * np.sqrt(1.2), rel=1e-3)
    assert book_stats.verdict(s).startswith("reproduced: inside")
    # p = 0.975 exactly at the edge of the 95 % prediction interval.
    edge = book_stats.summarize(values, 0.3 + s["pi95"])
    assert edge["p"] == pytest.approx(0.975)
    assert "inside the central 95 %" in book_stats.verdict(book_stats.summarize(values, 0.6))
    assert book_stats.verdict(book_stats.summarize(values, 1.0)).startswith("borderline")
    assert book_stats.verdict(book_stats.summarize(values, -1.0)).startswith(
        "not reproduced: the book is lower, outside the central 99 %")
    assert book_stats.summarize([0.3, 0.5], 0.3)["percentile"] == 25  # a tie counts half
    assert book_stats.summarize([0.3, 0.3], 0.4)["p"] is None
    assert book_stats.verdict(book_stats.summarize([0.3, 0.3], 0.4)).startswith("outside our runs")


def test_best_of_three_verdict_uses_the_per_seed_model():
    per_seed = book_stats.summarize([0.950, 0.951, 0.952, 0.953, 0.954], 0.955)
    best = book_stats.summarize_best_of_three([0.953, 0.954], per_seed, "best")
    assert best["p"] == pytest.approx(per_seed["p"] ** 3) and best["z"] is None
    after_epoch1 = book_stats.summarize_best_of_three([0.953, 0.954], per_seed, "epoch1")
    assert after_epoch1["p"] == per_seed["p"]


def test_best_of_three_takes_the_run_with_the_best_peak():
    runs = [{"accuracy": acc} for acc in ([0.5, 0.9], [0.8, 0.7], [0.6, 0.6], [0.1, 0.95])]
    # Triples: (0,1,2) -> run 0; (0,1,3), (0,2,3), (1,2,3) -> run 3.
    assert book.best_of_three(runs, "best") == [0.9, 0.95, 0.95, 0.95]
    assert book.best_of_three(runs, "epoch1") == [0.5, 0.1, 0.1, 0.1]


def test_claims():
    slow, stuck = [0.11, 0.12, 0.2142], [0.1009, 0.1009, 0.0982]
    assert CLAIMS["learns, slowly"](slow) and not CLAIMS["learns, slowly"](stuck)
    assert CLAIMS["does not learn"](stuck) and not CLAIMS["does not learn"](slow)
    assert not CLAIMS["learns, slowly"]([0.9, 0.95])


# ---- chapter 5's speed of learning -------------------------------------------------


def test_speed_of_learning_is_the_books_definition():
    """``fig/generate_gradient.py``: sum ``backprop(x, y)[0]`` over the images,
    divide by their number, take each hidden layer's norm."""
    rng = np.random.default_rng(0)
    X, labels = rng.random((25, 784)), rng.integers(0, 10, 25)
    sizes = [784, 30, 30, 10]
    ours = book.speed_of_learning(sizes, 7, (X, labels))
    net = network2.Network(sizes, seed=7)
    nabla = [net.backprop(x.reshape(784, 1), network2.vectorized_result(int(y)))[0]
             for x, y in zip(X, labels)]
    mean = [sum(layer) / len(X) for layer in zip(*nabla)]
    assert ours == pytest.approx([np.linalg.norm(m) for m in mean[:-1]], rel=1e-12)
    assert len(ours) == 2


# ---- a tiny real run --------------------------------------------------------------


def _runs(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")}


def test_tiny_run_writes_table_figure_json_and_resumes(tmp_path, mnist_dir, capsys):
    out, docs = tmp_path / "out", tmp_path / "docs" / "book"
    argv = ["--quick", "--rows", "ch5-speed-2-h1,ch5-speed-2-h2,ch1-30-eta100", "--seeds", "2",
            "--jobs", "1", "--data-dir", str(mnist_dir), "--out", str(out), "--docs", str(docs)]
    assert book.main(argv) == 0
    text = capsys.readouterr().out
    assert "4 runs: 0 reused" in text and "4 to do on 1 process" in text
    runs = _runs(out)
    assert sorted(name.split("-seed")[0] for name in runs) == [
        "ch1-30-eta100", "ch1-30-eta100", "ch5-speed-2", "ch5-speed-2"]
    table = (docs.parent / "book.md").read_text()
    assert "NOT comparable" in table and "`ch5-speed-2-h2`" in table
    assert "`ch1-30-epoch1`" not in table
    assert (docs.parent / "book.png").stat().st_size > 0
    with pytest.raises(SystemExit):  # --docs's help names every file it wrote
        book.parse_args(["--help"])
    helps = " ".join(capsys.readouterr().out.split())
    assert sorted(p.name for p in docs.parent.iterdir()) == ["book.json", "book.md", "book.png"]
    assert all(f"PREFIX{p.suffix}" in helps for p in docs.parent.iterdir())
    summary = json.loads((docs.parent / "book.json").read_text())
    assert [e["row"] for e in summary["rows"]] == ["ch1-30-eta100", "ch5-speed-2-h1",
                                                  "ch5-speed-2-h2"]
    assert summary["rows"][1]["per_seed"]["n"] == 2

    # Rerun: every record is reused, none rewritten.
    assert book.main(argv) == 0
    assert "4 runs: 4 reused" in capsys.readouterr().out
    assert _runs(out) == runs

    # A lost record (a killed run) is the only task done again, to the same numbers.
    lost = sorted((out / "runs").glob("ch5-speed-2-seed1-*.json"))[0]
    before = json.loads(lost.read_text())
    lost.unlink()
    assert book.main(argv) == 0
    assert "3 reused" in capsys.readouterr().out
    assert json.loads(lost.read_text())["speed"] == before["speed"]


def test_ctrl_c_is_one_line_that_counts_the_saved_runs(tmp_path, mnist_dir, monkeypatch,
                                                      capsys):
    argv = ["--quick", "--rows", "ch5-speed-2-h1", "--seeds", "3", "--jobs", "1",
            "--data-dir", str(mnist_dir), "--out", str(tmp_path)]
    real = book.runner.run_all

    def interrupted_after_one(*args, **kwargs):
        for i, result in enumerate(real(*args, **kwargs)):
            if i == 1:
                raise KeyboardInterrupt
            yield result

    monkeypatch.setattr(book.runner, "run_all", interrupted_after_one)
    with pytest.raises(SystemExit) as stop:
        book.main(argv)
    assert stop.value.code == 130
    err = capsys.readouterr().err
    assert err.strip().endswith(f"interrupted: 1 of 3 runs saved in {tmp_path / 'runs'}; "
                                f"rerun the same command to resume")
    assert "Traceback" not in err
    monkeypatch.setattr(book.runner, "run_all", real)
    assert book.main(argv) == 0
    assert "3 runs: 1 reused" in capsys.readouterr().out


def test_the_tally_counts_in_words_singular_and_plural():
    one = {"row": "ch1-30-best", "verdict": "reproduced: inside our seed range"}
    claim = {"row": "ch1-30-eta100", "claim_holds": 4, "per_seed": {"n": 5}}
    assert "(1 comparison)" in book.tally([one]) and "1 inside our range" in book.tally([one])
    assert "(2 comparisons)" in book.tally([one, one])
    assert "0 of 1 qualitative claim holds" in book.tally([one, claim])
    assert "1 of 2 qualitative claims hold" in book.tally(
        [claim, {**claim, "claim_holds": 5}])


def test_accuracies_far_from_the_books_are_drawn_at_the_edge_with_their_values():
    plt = book.report.pyplot()
    fig, ax = plt.subplots()
    inside = book._clipped(ax, [-29.7, -18.8, 0.5, 4.25], 0, "C0")
    assert inside == [0.5]
    assert sorted(t.get_text() for t in ax.texts) == ["+4.2", "-18.8, -29.7"]
    assert ax.get_xlim() == pytest.approx((-1.05 * book.ACC_CLIP, 1.05 * book.ACC_CLIP))
    plt.close(fig)


def test_chapter3_drives_network2_as_the_book_does(mnist_dir, capsys):
    """The book's printed lines are caught; every tenth epoch's is shown with
    the run's label; the accuracies come back as fractions of the data."""
    training, validation, _ = book.datasets.load("mnist", mnist_dir)
    config = {**book.run_config("ch3-winit-30-old", 3, quick=True), "epochs": 10}
    small = (training[0][:300], training[1][:300])
    accuracy, _ = book.chapter3({"config": config, "label": "[t]"}, small,
                                (validation[0][:500], validation[1][:500]))
    out = capsys.readouterr().out
    count = round(500 * accuracy[-1])
    assert out == f"[t] epoch 10/10: Accuracy on evaluation data: {count} / 500\n"
    assert len(accuracy) == 10 and all(0 < a < 1 for a in accuracy)
    # large_weight_initializer() after a seeded network2.Network is network.Network's randn.
    net = book.network.Network([784, 30, 10], "randn", seed=3, cost="cross_entropy")
    history = net.SGD(small, 10, 10, 0.1, lmbda=5.0, verbose=False,
                      evaluation_data=(validation[0][:500], validation[1][:500]))
    assert history.evaluation_accuracy == accuracy


def test_the_books_pixel_scaling(mnist_dir):
    X = book.datasets.load("mnist", mnist_dir)[1][0][:2000]
    Xb = book.book_pixels(X)
    assert X.max() == 1 and Xb.max() == 255 / 256
    assert np.array_equal(Xb * 256, np.rint(Xb * 256)) and np.allclose(Xb * 256, X * 255)
    assert "pixels" not in book.run_config("ch1-30", 0, quick=False)
    assert book.run_config("ch1-30", 0, quick=False, pixels=256)["pixels"] == 256


def test_the_worker_returns_its_record_and_writes_nothing(tmp_path, mnist_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = book.run_config("ch5-speed-3", 0, quick=True)
    record = book.train({"config": config, "data_dir": str(mnist_dir), "label": "t"})
    assert list(tmp_path.iterdir()) == []
    assert record["config"] == config and len(record["speed"]) == 3
    assert record["versions"]["code"] == book.code_version()


# ---- the slow reproduction ---------------------------------------------------------

FRESH_SEED = 12_345_678  # the book's own np.random.seed in fig/*.py; not one of our seeds
# Every quantitative row of chapter 1, of chapter 3's weight-initialization
# figure and of chapter 5 (the qualitative rows, "learns, slowly" and "does
# not learn", have no interval to fall in).
CHECKED = [row.name for row in ROWS
           if row.name.startswith(("ch1-", "ch3-winit-", "ch5-")) and row.claim is None]


@pytest.mark.slow
def test_book_rows_reproduce_with_a_new_seed(mnist_dir):
    summary = json.loads(DOCS.read_text())
    assert not summary["quick"] and summary["pixels"] == 255, \
        "docs/results/book.json must come from the full run"
    entries = {e["row"]: e for e in summary["rows"]}
    rows = [row for row in ROWS if row.name in CHECKED]
    assert {row.name for row in rows} <= entries.keys()
    tasks = [{"config": book.run_config(name, FRESH_SEED, quick=False),
              "data_dir": str(mnist_dir), "label": f"[{name} seed {FRESH_SEED}]"}
             for name in dict.fromkeys(row.run for row in rows)]
    fresh = {r["config"]["run"]: r for r in runner.run_all(book.train, tasks, 2)}
    failures = []
    for row in rows:
        entry = entries[row.name]
        ours = entry["per_seed"]
        value = book.metric_value(fresh[row.run], row.metric)
        if abs(value - ours["mean"]) > ours["pi99"]:
            failures.append(f"{row.name}: the new seed gives {value:.4f}, outside "
                            f"{ours['mean']:.4f} ± {ours['pi99']:.4f}")
        # The book's figure: inside the central 99 % of one run of ours (of the
        # best of three runs, where the book took the best of three).
        p = entry.get("best_of_three", ours)["p"]
        if not 0.005 <= p <= 0.995:
            failures.append(f"{row.name}: the book's {row.book} has p = {p:.4f}")
    assert not failures, "\n".join(failures)
