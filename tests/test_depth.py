"""experiments.depth (Glorot & Bengio 2010 on MNIST): its measures, its
arguments, its choice of learning rate, and a tiny run end to end that
resumes.  The end-to-end test uses a few hundred real MNIST images (skipped,
with the reason, when the data is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import network
from experiments import depth, report, runner

# ---- the measures ----------------------------------------------------------


@pytest.mark.parametrize("cost", depth.CHECKED_COSTS)
@pytest.mark.parametrize("activation", ["tanh", "softsign", "sigmoid", "relu"])
def test_backprop_errors_are_each_examples_bias_gradient(activation, cost):
    net = network.Network([12, 9, 7, 5], init="xavier_uniform", bias_init="randn", seed=1,
                          activation=activation, cost=cost)
    rng = np.random.default_rng(2)
    X, labels = rng.standard_normal((6, 12)), rng.integers(0, 5, 6)
    errors = depth.backprop_errors(net, X, labels)
    assert [e.shape for e in errors] == [(6, 9), (6, 7), (6, 5)]
    for i in range(6):
        nabla_b, _ = net.backprop(X[i].reshape(-1, 1), int(labels[i]))
        for l, nb in enumerate(nabla_b):
            np.testing.assert_allclose(errors[l][i], nb.ravel(), rtol=1e-12, atol=1e-15)


def test_backprop_errors_refuse_the_quadratic_cost():
    net = network.Network([4, 3, 2], seed=0, cost="quadratic")
    with pytest.raises(ValueError, match="log_likelihood or cross_entropy"):
        depth.backprop_errors(net, np.zeros((1, 4)), np.array([0]))


def test_layer_stats_describe_each_hidden_layer():
    net = network.Network([6, 5, 4, 3], init="xavier_uniform", seed=3, activation="sigmoid",
                          cost="log_likelihood")
    X = np.random.default_rng(4).random((50, 6))
    stats = depth.layer_stats(net, X)
    _, activations = net.forward(X)
    for l, a in enumerate(activations[1:-1]):
        assert stats["mean"][l] == pytest.approx(a.mean())
        assert stats["sd"][l] == pytest.approx(a.std())
        assert stats["p2"][l] < stats["mean"][l] < stats["p98"][l]
        assert stats["p98"][l] == pytest.approx(np.percentile(a, 98))
    assert len(stats["mean"]) == 2  # hidden layers only


def test_standard_init_shrinks_tanh_layers_and_normalized_does_not():
    # The paper's Figures 6 and 7, at initialization, as numbers: with the
    # standard U[-1/sqrt(n), 1/sqrt(n)], n Var[W] = 1/3 and each tanh layer
    # scales the activations by about 1/sqrt(3) going up, and the gradients
    # by the same going down; normalized keeps them within a few tens of percent.
    rng = np.random.default_rng(5)
    X, labels = rng.random((100, 784)) * (rng.random((100, 784)) < 0.2), rng.integers(0, 10, 100)
    sizes = [784] + [200] * 5 + [10]
    std = depth.at_initialization(sizes, "glorot_standard", 0, "float64", X, labels)
    norm = depth.at_initialization(sizes, "xavier_uniform", 0, "float64", X, labels)
    a, e = std["activation_sd"], std["error_sd"]
    assert all(0.45 < a[l + 1] / a[l] < 0.7 for l in range(4))
    assert all(0.45 < e[l] / e[l + 1] < 0.7 for l in range(4))
    a, e = norm["activation_sd"], norm["error_sd"]
    assert a[-1] / a[0] > 0.6 and e[0] / e[-1] > 0.6


def _at_init(init: str, sizes=(784, 8, 8, 8, 10)) -> dict:
    rng = np.random.default_rng(6)
    X, labels = rng.random((50, 784)), rng.integers(0, 10, 50)
    return depth.at_initialization(list(sizes), init, 0, "float64", X, labels)


def test_a_ratio_of_sds_is_undefined_where_the_denominator_is_0():
    # A zeros network: every layer's sd is 0, both ratios 0 / 0.
    args = depth.parse_args(["--width", "8", "--depth", "3", "--inits", "zeros,xavier_uniform"])
    results = [_at_init("zeros"), _at_init("xavier_uniform")]
    text = depth.init_table(args, results, "cmd")
    zeros_row = next(line for line in text.splitlines() if line.startswith("| zeros"))
    assert zeros_row.count("| — |") == 2 and "is undefined" in text
    assert "—" not in next(line for line in text.splitlines() if "xavier_uniform`" in line)
    # A variant: activations that vary but a gradient sd of 0 at the top only.
    fake = {"init": "xavier_uniform", "activation_sd": [0.3, 0.2, 0.1],
            "error_sd": [0.01, 0.02, 0.0]}
    row = depth.init_table(args, [fake], "cmd").splitlines()[2]
    assert row.endswith("| 0.33 | 1.00e-02, 2.00e-02, 0.00e+00 | — |")
    assert depth.ratio(1.0, 4.0) == "0.25" and depth.ratio(0.0, 0.0) == "—"


def _constant(init: str) -> dict:
    """A fake network's measures: every activation 0.5, every gradient 0."""
    a, e = np.full((50, 8), 0.5), np.zeros((50, 8))
    return {"init": init, "activations": [a] * 3, "errors": [e] * 3,
            "activation_sd": [0.0] * 3, "error_sd": [0.0] * 3}


@pytest.mark.parametrize("results", [
    lambda: [_at_init("zeros")],
    lambda: [_at_init("zeros"), _at_init("glorot_standard")],
    lambda: [_constant("ones")],
], ids=["zeros", "zeros-and-standard", "constant"])
def test_histograms_of_constant_data_do_not_warn(results):
    # pytest turns a RuntimeWarning into an error (pyproject.toml)
    args = depth.parse_args(["--width", "8", "--depth", "3"])
    fig = depth.plot_init(args, results())
    assert len(fig.axes) == 2 * len(results())
    report.pyplot().close(fig)


def test_first_epoch_bounds_are_whole_mini_batches():
    assert depth.first_epoch_bounds(50_000, 10, (0.02, 0.1, 0.3)) == [1000, 5000, 15000, 50000]
    assert depth.first_epoch_bounds(95, 10, (0.02, 0.1, 0.3)) == [10, 30, 95]
    assert depth.first_epoch_bounds(10, 10, (0.02, 0.1, 0.3)) == [10]
    assert depth.first_epoch_bounds(300, 10, ()) == [300]


# ---- arguments -------------------------------------------------------------


@pytest.mark.parametrize(("argv", "message"), [
    (["--eta", "0.1,-1"], "expected comma-separated positive learning rates"),
    (["--eta", "0.1,0.1"], "expected distinct learning rates"),
    (["--activations", "tanh,swish"], "unknown activation 'swish'; valid: sigmoid, tanh"),
    # an empty list, or an empty item, is named as such (not dropped, not "distinct")
    (["--activations", ","], "expected at least one activation, got ','"),
    (["--activations", ""], "expected at least one activation, got ''"),
    (["--eta", "0.1,,0.3"], "'0.1,,0.3' has an empty item (two commas in a row"),
    (["--eta", " , "], "expected at least one learning rate"),
    (["--activations", "tanh,"], "'tanh,' has an empty item"),
    (["--inits", "glorot_standard,uniform"], "unknown initializer 'uniform'"),
    # identity needs square weight matrices: said up front, not by a worker mid-sweep
    (["--inits", "identity"], "identity: a 1000 x 784 weight matrix (fan_out 1000, fan_in 784) "
                              "is not square"),
    (["--inits", "xavier_uniform,identity", "--quick"], "a 100 x 784 weight matrix"),
    (["--width", "0"], "expected a positive integer"),
    (["--dtype", "float16"], "invalid choice: 'float16'"),
    (["--train-size", "5", "--batch", "10"], "--train-size (5) must be at least --batch (10)"),
])
def test_bad_arguments_fail_before_training(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        depth.parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_inits_all_leaves_out_what_cannot_initialize_the_network(capsys):
    args = depth.parse_args(["--inits", "all", "--quick"])
    assert "identity" not in args.inits and "glorot_standard" in args.inits
    assert "--inits all: identity left out: identity: a 100 x 784" in capsys.readouterr().err


def test_defaults_are_the_papers_setting():
    args = depth.parse_args([])
    assert args.sizes == [784, 1000, 1000, 1000, 1000, 1000, 10]
    assert (args.batch, args.activations, args.inits) == (
        10, ["sigmoid", "tanh", "softsign"], ["glorot_standard", "xavier_uniform"])
    assert len(args.eta) > 1 and args.dtype == "float64"
    quick = depth.parse_args(["--quick"])
    assert quick.width < 1000 and quick.epochs < args.epochs and quick.train_size < 50_000
    assert depth.parse_args(["--quick", "--width", "50", "--eta", "0.2"]).width == 50


def test_help_explains_every_flag(capsys):
    with pytest.raises(SystemExit):
        depth.parse_args(["--help"])
    text = capsys.readouterr().out
    for flag in ("--width", "--depth", "--activations", "--inits", "--epochs", "--eta",
                 "--seeds", "--dtype", "--quick", "--batch", "--train-size", "--jobs",
                 "--scheduler", "--data-from", "--dataset", "--data-dir", "--out", "--docs"):
        assert flag in text, flag


# ---- the choice of learning rate ---------------------------------------------


def _fake(validation_errors, validation_costs, test_error):
    return {"history": {"validation_accuracy": [1 - v for v in validation_errors],
                        "validation_cost": validation_costs,
                        "test_accuracy": [1 - test_error]},
            "wall_seconds": 1.0}


def test_the_learning_rate_is_chosen_on_the_final_validation_error():
    args = depth.parse_args(["--activations", "tanh", "--inits", "xavier_uniform",
                             "--eta", "0.01,0.1,1", "--seeds", "2"])
    done = {("tanh", "xavier_uniform", 0.01, s): _fake([0.5, 0.30], [1.0, 0.9], 0.31)
            for s in (0, 1)}
    done |= {("tanh", "xavier_uniform", 0.1, 0): _fake([0.1, 0.20], [1.0, 0.5], 0.21),
             ("tanh", "xavier_uniform", 0.1, 1): _fake([0.1, 0.24], [1.0, 0.5], 0.25),
             ("tanh", "xavier_uniform", 1.0, 0): _fake([0.05, 0.9], [1.0, None], 0.9),
             ("tanh", "xavier_uniform", 1.0, 1): _fake([0.05, 0.9], [1.0, None], 0.9)}
    (row,) = depth.choose(args, done)
    assert row["eta"] == 0.1  # the final error counts, not the best one
    assert row["test"][0] == pytest.approx(0.23) and row["test"][1] > 0
    assert row["paper"] == 1.64
    # When no rate learns (equal errors), the lower validation cost decides.
    for s in (0, 1):
        done["tanh", "xavier_uniform", 0.01, s] = _fake([0.9], [2.3], 0.9)
        done["tanh", "xavier_uniform", 0.1, s] = _fake([0.9], [2.2], 0.9)
        done["tanh", "xavier_uniform", 1.0, s] = _fake([0.9], [None], 0.9)
    assert depth.choose(args, done)[0]["eta"] == 0.1


# ---- the outputs ----------------------------------------------------------------


def _row(activation: str, init: str, eta: float, paper: float | None, depth_: int = 3,
         epochs: int = 2) -> dict:
    """A configuration at its chosen rate, whose layer l has mean l/10 and 98th
    percentile l/10 + 0.5 + epoch/100 at every point, and test errors 5 %, 4 %..."""
    points = [0.0, 0.5, *range(1, epochs + 1)]
    dynamics = [{"epoch": float(e), "mean": [l / 10 for l in range(1, depth_ + 1)],
                 "p98": [l / 10 + 0.5 + e / 100 for l in range(1, depth_ + 1)]} for e in points]
    history = {"test_accuracy": [0.95 + 0.01 * k for k in range(epochs)]}
    return {"activation": activation, "init": init, "eta": eta, "paper": paper,
            "runs": [{"dynamics": dynamics, "history": history}]}


def test_the_layers_table_gives_every_layer_after_the_first_and_last_epoch():
    args = depth.parse_args(["--depth", "3", "--epochs", "3", "--seeds", "7,"])
    text = depth.layers_table(args, [_row("tanh", "xavier_uniform", 0.1, 1.64, epochs=3)], "c")
    lines = text.splitlines()
    assert lines[0] == ("| configuration | learning rate (chosen) | after epoch | layer 1 | "
                        "layer 2 | layer 3 |")
    assert lines[2] == "| Tanh N | 0.1 | 1 | 0.10 / 0.61 | 0.20 / 0.71 | 0.30 / 0.81 |"
    assert lines[3] == "| Tanh N | 0.1 | 3 | 0.10 / 0.63 | 0.20 / 0.73 | 0.30 / 0.83 |"
    assert "seed 7" in text and "Made by `c`" in text
    # A variant: a run of one epoch has one row, a diverged layer says so.
    args.epochs = 1
    row = _row("softsign", "glorot_standard", 0.03, None, epochs=1)
    row["runs"][0]["dynamics"][2]["p98"][1] = None
    lines = depth.layers_table(args, [row], "c").splitlines()
    assert lines[2] == "| Softsign | 0.03 | 1 | 0.10 / 0.61 | diverged | 0.30 / 0.81 |"
    assert not lines[3].startswith("|")


def test_the_error_figure_labels_its_log_axis_in_percent_and_names_the_dotted_lines():
    args = depth.parse_args(["--depth", "3", "--epochs", "2", "--activations", "tanh,sigmoid"])
    rows = [_row("tanh", "xavier_uniform", 0.1, 1.64), _row("sigmoid", "xavier_uniform", 0.1,
                                                            None)]
    rows[1]["runs"][0]["history"]["test_accuracy"] = [0.12, 0.12]  # 88 % error
    fig = depth.plot_errors(args, rows)
    fig.canvas.draw()
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    labels = [t.get_text() for t in ax.get_yticklabels() if low <= t.get_position()[1] <= high]
    assert labels == ["1 %", "2 %", "5 %", "10 %", "20 %", "50 %", "100 %"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1].startswith("the paper's Table 1 (dotted")
    assert [line.get_linestyle() for line in ax.get_legend().get_lines()][-1] == ":"
    report.pyplot().close(fig)
    # A variant: no configuration the paper has, no entry for its lines.
    fig = depth.plot_errors(args, [rows[1]])
    assert not any("paper" in t.get_text() for t in fig.axes[0].get_legend().get_texts())
    report.pyplot().close(fig)


# ---- end to end on a little real data ------------------------------------------

TINY = ["--width", "8", "--depth", "3", "--epochs", "2", "--train-size", "200",
        "--eta", "0.1,0.3", "--activations", "tanh", "--dtype", "float32",
        "--jobs", "1"]


def test_a_tiny_study_writes_its_outputs_and_resumes(tmp_path, mnist_dir, capsys):
    out, docs = tmp_path / "out", tmp_path / "docs" / "depth"
    argv = [*TINY, "--data-dir", str(mnist_dir), "--out", str(out), "--docs", str(docs)]
    assert depth.main(argv) == 0
    first = capsys.readouterr().out  # (read here, before the help below)
    assert "epoch 2/2" in first
    runs = sorted((out / "runs").glob("*.json"))
    assert len(runs) == 4  # 1 activation x 2 inits x 2 learning rates x 1 seed
    record = json.loads(runs[0].read_text())
    assert record["config"]["dtype"] == "float32" and record["config"]["sizes"] == [
        784, 8, 8, 8, 10]
    assert len(record["history"]["test_accuracy"]) == 2
    epochs = [p["epoch"] for p in record["dynamics"]]
    assert epochs[0] == 0 and 0 < epochs[1] < epochs[2] < 1 and epochs[-2:] == [1, 2]
    assert all(len(p["p98"]) == 3 for p in record["dynamics"])
    for part in ("dynamics", "init", "table"):
        assert (out / f"{part}.png").stat().st_size > 0
        assert Path(f"{docs}_{part}.png").stat().st_size < 300_000
        assert "Made by `python -m experiments.depth" in Path(f"{docs}_{part}.md").read_text()
    # --docs's help names every file --docs wrote, and no other.
    with pytest.raises(SystemExit):
        depth.parse_args(["--help"])
    helps = " ".join(capsys.readouterr().out.split())
    written = sorted(path.name.replace("depth", "PREFIX", 1) for path in docs.parent.iterdir())
    assert len(written) == 6 and all(name in helps for name in written), (written, helps)
    assert "PREFIX.png" not in helps and "PREFIX.md" not in helps
    table = (out / "table.md").read_text()
    assert "| Tanh N |" in table and "1.64" in table and "5,000,000 updates" in table
    dynamics = (out / "dynamics.md").read_text()
    assert "(chosen)" in dynamics and "| after epoch | layer 1 | layer 2 | layer 3 |" in dynamics
    assert sum(line.startswith(("| Tanh | ", "| Tanh N | ")) for line in dynamics.splitlines()
               if line.count("/") == 3) == 4  # each init at its chosen rate, epochs 1 and 2

    # A second sweep (the figures aside) reuses every record and trains nothing.
    mtimes = {p: p.stat().st_mtime_ns for p in runs}
    args = depth.parse_args(argv)
    assert len(depth.sweep(args)) == 4
    second = capsys.readouterr().out
    assert "4 reused" in second and "epoch 1/2" not in second
    assert {p: p.stat().st_mtime_ns for p in runs} == mtimes

    # A damaged record is trained again, to the same numbers.
    victim = runs[1]
    before = json.loads(victim.read_text())
    victim.write_text('{"config": {"se')
    depth.sweep(args)
    assert "3 reused" in capsys.readouterr().out
    after = json.loads(victim.read_text())
    assert after["history"]["test_accuracy"] == before["history"]["test_accuracy"]
    assert after["dynamics"] == before["dynamics"]


def test_a_zeros_network_trains_and_publishes_its_tables(tmp_path, mnist_dir, capsys):
    """Its sds are 0 and its gradients too: the tables say so rather than crash."""
    out = tmp_path / "out"
    argv = [*TINY, "--activations", "tanh,sigmoid", "--inits", "zeros", "--epochs", "1",
            "--data-dir", str(mnist_dir), "--out", str(out)]
    open_figures = set(report.pyplot().get_fignums())
    assert depth.main(argv) == 0
    assert "| zeros (`zeros`) | 0.000, 0.000, 0.000 | — |" in (out / "init.md").read_text()
    assert "| Sigmoid (zeros) |" in (out / "table.md").read_text()
    assert (out / "dynamics.md").exists() and (out / "init.png").stat().st_size > 0
    assert set(report.pyplot().get_fignums()) <= open_figures  # each closed once written


def test_counts_have_the_right_number(tmp_path, monkeypatch, capsys):
    """One run is "1 run", in the progress lines and the table; one process, "1 process"."""
    def train(task):
        return {"config": task["config"], "history": {"test_accuracy": [0.9]},
                "wall_seconds": 1.0, "cpu_seconds": 1.0}

    monkeypatch.setattr(depth, "train", train)
    monkeypatch.setattr(depth.datasets, "load", lambda *a: None)
    args = depth.parse_args([*TINY, "--eta", "0.1", "--inits", "xavier_uniform", "--out",
                             str(tmp_path / "out")])
    depth.sweep(args)
    out = capsys.readouterr().out
    assert "1 run: 0 reused from" in out and "1 to train with 1 process\n" in out
    assert "trained 1 run in" in out
    row = {"activation": "tanh", "init": "xavier_uniform", "eta": 0.1, "validation": {0.1: 0.1},
           "test": (0.1, 0.0), "paper": 1.64, "cpu_seconds": 90.0}
    text = depth.table(args, [row], "cmd")
    assert "The 1 run took 90 s of CPU time, 45.0 s per epoch" in text and "2 epochs" in text
    args.epochs = 1
    assert "1 epoch of 200 training images at mini-batch 10, 20 updates per run" in depth.table(
        args, [row], "cmd")


def test_plural():
    assert report.plural(1, "run") == "1 run" and report.plural(0, "run") == "0 runs"
    assert report.plural(10_000, "update") == "10,000 updates"
    assert report.plural(2, "process", "processes") == "2 processes"
    assert runner.Backend(jobs=4).describe(1) == "1 process"
    assert runner.Backend(jobs=2).describe(5) == "2 processes"


def test_ctrl_c_is_one_line_that_counts_the_saved_runs(tmp_path, monkeypatch, capsys):
    def interrupt(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(depth, "sweep", interrupt)
    with pytest.raises(SystemExit) as exit_info:
        depth.main([*TINY, "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 130
    err = capsys.readouterr().err
    assert "interrupted: 0 of 4 runs saved in" in err and "rerun the same command" in err
    assert "Traceback" not in err
    with pytest.raises(SystemExit):  # a variant: one run
        depth.main([*TINY, "--eta", "0.1", "--inits", "zeros", "--out", str(tmp_path / "out")])
    assert "interrupted: 0 of 1 run saved in" in capsys.readouterr().err


def test_the_worker_returns_its_record_and_writes_nothing(tmp_path, mnist_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = depth.parse_args([*TINY, "--epochs", "1", "--out", str(tmp_path / "out")])
    config = depth.run_config(args, "softsign", "xavier_uniform", 0.1, 0)
    record = depth.train({"config": config, "data_dir": str(mnist_dir)})
    assert record["config"] == config and record["key"]
    assert list(tmp_path.iterdir()) == []


# ---- docs/depth.md's figures come from the committed tables ----------------------

ROOT = Path(__file__).resolve().parent.parent


def _layer_cells(markdown: str) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """The per-layer table of docs/results/depth_dynamics.md: (configuration, after
    epoch) -> each layer's (mean, 98th percentile), as printed."""
    text = markdown[markdown.index("| after epoch |"):]
    cells = {}
    for line in text.splitlines()[2:]:
        if not line.startswith("|"):
            break
        name, _, epoch, *layers = [c.strip() for c in line.strip("|").split("|")]
        cells[name, epoch] = [tuple(c.split(" / ")) for c in layers]
    return cells


def test_the_depth_pages_figures_are_those_of_the_committed_tables():
    section = (ROOT / "docs" / "depth.md").read_text()
    dynamics = (ROOT / "docs" / "results" / "depth_dynamics.md").read_text()
    cells = _layer_cells(dynamics)
    # The top layer's excerpt: rows of the first table as they are.
    excerpt = [line for line in section.splitlines() if "** (chosen) |" in line or
               line.startswith("| Sigmoid | 0.1 |")]
    assert len(excerpt) == 6 and all(line in dynamics.splitlines() for line in excerpt)

    def p98s(*configs: str, epoch: str = "2") -> list[str]:
        return sorted(p for c in configs for _, p in cells[c, epoch])

    tanh, softsign = p98s("Tanh", "Tanh N"), p98s("Softsign", "Softsign N")
    assert f"98th percentile {p98s('Tanh')[0]} to {p98s('Tanh')[-1]} after 2 epochs" in section
    assert (f"98th percentile is {softsign[0]} to {softsign[-1]} after 2 epochs, against "
            f"{tanh[0]} to {tanh[-1]} for tanh") in section
    first = ", ".join(p for _, p in cells["Tanh", "1"])
    assert f"(after epoch 1: {first} from layer 1 up)" in section
    below = [cells[c, e][3][0] for c in ("Sigmoid", "Sigmoid N") for e in ("1", "2")]
    assert (f"rises to a mean of {below[0]} after the first epoch and {below[1]} after the "
            f"second (normalized init: {below[2]} and {below[3]})") in section
    per_epoch = (ROOT / "docs" / "results" / "depth_table.md").read_text().split(" s per epoch")[0]
    assert f"took {per_epoch.split()[-1]} s of CPU time per epoch" in section
