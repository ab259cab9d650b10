"""Quick tests of the experiment scripts' machinery: argument checking,
records, resuming, atomic writes, the process pool, the saturation formulas.

The end-to-end runs use a few hundred real MNIST images and one or two epochs
(skipped, with the reason, when the data is absent)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import network
from experiments import (
    cli,
    compare_initializers,
    datasets,
    distributions,
    gradient_flow,
    records,
    report,
    saturation,
    symmetry,
)
from nndl import machine

TINY = ["--epochs", "2", "--train-size", "300", "--inits", "randn,zeros", "--seeds", "2"]


def _records(out: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted((out / "runs").glob("*.json"))}


def _numbers(record: dict) -> dict:
    """A record's results, without the timings (which differ from run to run)."""
    return {k: v for k, v in record["history"].items() if k != "seconds"}


# ---- arguments -----------------------------------------------------------


@pytest.mark.parametrize(("argv", "message"), [
    (["--inits", "rand,gaussian"], "unknown initializer 'gaussian'; valid: rand, randn"),
    (["--sizes", "784,30"], "--sizes must start with 784"),
    (["--sizes", "784,x,10"], "expected comma-separated layer sizes"),
    (["--epochs", "0"], "expected a positive integer"),
    (["--eta", "-1"], "expected a positive finite number"),
    (["--seeds", "0"], "expected a number of seeds"),
    (["--cost", "hinge"], "invalid choice: 'hinge'"),
    (["--dataset", "cifar"], "invalid choice: 'cifar'"),
    (["--train-size", "60000"], "--train-size must be at most 50000"),
])
def test_bad_arguments_fail_before_training(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        compare_initializers.parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("module", [saturation, gradient_flow],
                         ids=lambda m: m.NAME)
def test_an_init_that_cannot_initialize_the_network_fails_before_anything(module, capsys):
    """As in compare_initializers: one line naming the problem, exit status 2."""
    with pytest.raises(SystemExit) as exit_info:
        module.parse_args(["--inits", "randn,identity"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "error: identity: a 30 x 784 weight matrix" in err and "not square" in err
    assert "Traceback" not in err


def test_defaults_are_the_books_setting():
    args = compare_initializers.parse_args([])
    assert (args.sizes, args.batch, args.eta, args.epochs, args.cost, args.activation) == \
        ([784, 30, 10], 10, 3.0, 30, "quadratic", "sigmoid")
    assert args.inits == ["rand", "randn", "zeros", "xavier_uniform", "xavier_normal",
                          "chapter3"]
    assert args.seeds == [0, 1, 2]
    quick = compare_initializers.parse_args(["--quick"])
    assert quick.epochs < 30 and quick.train_size < 50_000


@pytest.mark.parametrize("script", ["compare_initializers", "book", "depth", "symmetry"])
def test_a_quick_look_never_writes_over_a_full_runs_outputs(script, capsys):
    module = __import__(f"experiments.{script}", fromlist=["parse_args"])
    full, quick = module.parse_args([]).out, module.parse_args(["--quick"]).out
    assert full == Path("results") / script and quick == Path("results") / f"{script}-quick"
    mine = module.parse_args(["--quick", "--out", "elsewhere"]).out
    assert mine == Path("elsewhere")  # a folder the user names is theirs
    with pytest.raises(SystemExit):
        module.parse_args(["--help"])
    assert f"{script}-quickwith--quick" in "".join(capsys.readouterr().out.split())


def test_seed_lists():
    assert cli.seed_list("3") == [0, 1, 2]
    assert cli.seed_list("4,7") == [4, 7]
    assert cli.seed_list("5,") == [5]


@pytest.mark.parametrize(("flag", "text", "message"), [
    ("--seeds", "4,,7", "'4,,7' has an empty item (two commas in a row, or a comma at either "
                        "end): expected seeds separated by single commas"),
    ("--seeds", ",", "expected at least one seed, got ','"),
    ("--seeds", ",4", "',4' has an empty item"),
    ("--inits", "randn,,zeros", "'randn,,zeros' has an empty item"),
    ("--inits", "lsuv,", "'lsuv,' has an empty item"),
    ("--sizes", "784,,10", "'784,,10' has an empty item"),
])
def test_an_empty_item_in_a_comma_list_is_named(flag, text, message, capsys):
    """Not silently dropped (--seeds 4,,7 trained seeds 4 and 7)."""
    with pytest.raises(SystemExit) as exit_info:
        compare_initializers.parse_args([flag, text])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_an_empty_item_in_the_books_rows_is_named(capsys):
    from experiments import book

    with pytest.raises(SystemExit):
        book.parse_args(["--rows", "ch3-98,,ch1-30-best"])
    assert "'ch3-98,,ch1-30-best' has an empty item" in capsys.readouterr().err


def test_help_explains_every_flag(capsys):
    with pytest.raises(SystemExit):
        compare_initializers.parse_args(["--help"])
    text = capsys.readouterr().out
    for flag in ("--epochs", "--seeds", "--sizes", "--eta", "--batch", "--inits", "--cost",
                 "--activation", "--dataset", "--out", "--data-dir", "--quick", "--jobs"):
        assert flag in text


# ---- files ---------------------------------------------------------------


def test_write_atomic_never_leaves_half_a_file(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    records.write_json(path, {"a": 1})

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        records.write_json(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_read_record_checks_the_configuration(tmp_path):
    path = tmp_path / "r.json"
    records.write_json(path, {"config": {"seed": 1}})
    assert records.read_record(path, {"seed": 1}) is not None
    assert records.read_record(path, {"seed": 2}) is None
    path.write_text('{"config": {"se')  # a torn file (never written by us) is ignored
    assert records.read_record(path, {"seed": 1}) is None


def test_read_record_refuses_a_run_made_by_other_code(tmp_path):
    path = tmp_path / "r.json"
    records.write_json(path, {"config": {"seed": 1}, "versions": records.versions()})
    code = records.code_version()
    assert records.read_record(path, {"seed": 1}, code=code) is not None
    assert records.read_record(path, {"seed": 1}, code="0123456789ab") is None
    records.write_json(path, {"config": {"seed": 1}})  # made before records named their code
    assert records.read_record(path, {"seed": 1}, code=code) is None


def test_progress_shows_every_tenth_epoch_and_the_last():
    shown = [e for e in range(1, 31) if report.shows_epoch(e, 30)]
    assert shown == [10, 20, 30]
    assert [e for e in range(1, 6) if report.shows_epoch(e, 5)] == [5]
    assert [e for e in range(1, 13) if report.shows_epoch(e, 12)] == [10, 12]


def test_nan_is_stored_as_null():
    assert records.finite_or_none([1.0, float("nan"), float("inf")]) == [1.0, None, None]


# ---- end to end on a little real data -------------------------------------


def test_sweep_writes_records_plot_table_and_resumes(tmp_path, mnist_dir, capsys):
    out = tmp_path / "out"
    argv = [*TINY, "--jobs", "1", "--data-dir", str(mnist_dir), "--out", str(out),
            "--docs", str(tmp_path / "docs" / "cmp")]
    assert compare_initializers.main(argv) == 0
    first = capsys.readouterr().out
    assert "epoch 1/2" in first and "epoch 2/2" in first  # progress lines, every epoch
    records = _records(out)
    assert len(records) == 4
    record = next(iter(records.values()))
    assert {"config", "versions", "history", "key"} <= record.keys()
    assert record["versions"]["numpy"] == np.__version__
    assert len(record["history"]["test_accuracy"]) == 2
    assert len(record["history"]["validation_cost"]) == 2
    for name in ("accuracy.png", "table.md"):
        assert (out / name).stat().st_size > 0
    assert (tmp_path / "docs" / "cmp.png").stat().st_size < 200_000
    table = (out / "table.md").read_text()
    assert "`zeros`" in table and "±" in table

    # A second run reuses every record and trains nothing.
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    assert compare_initializers.main(argv) == 0
    second = capsys.readouterr().out
    assert "4 reused" in second and "epoch 1/2" not in second
    assert {p: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == mtimes

    # A record of another configuration (or a damaged one) is trained again;
    # stray temporary files of a killed run are ignored.
    victim = sorted((out / "runs").glob("zeros-seed1-*.json"))[0]
    stale = json.loads(victim.read_text())
    stale["config"]["eta"] = 0.5
    victim.write_text(json.dumps(stale))
    (out / "runs" / ".randn-seed0.json.abc.tmp").write_text("{")
    assert compare_initializers.main(argv) == 0
    third = capsys.readouterr().out
    assert "3 reused" in third and "1 to train" in third
    assert _numbers(_records(out)[victim.name]) == _numbers(records[victim.name])


def test_results_do_not_depend_on_jobs(tmp_path, mnist_dir):
    for jobs in ("1", "2"):
        compare_initializers.main([*TINY, "--jobs", jobs, "--data-dir", str(mnist_dir),
                                   "--out", str(tmp_path / jobs)])
    one, two = _records(tmp_path / "1"), _records(tmp_path / "2")
    assert one.keys() == two.keys() and len(one) == 4
    for name in one:
        assert _numbers(one[name]) == _numbers(two[name]), name  # bit for bit


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path, mnist_dir):
    training, _, test = datasets.load("mnist", mnist_dir, 300)
    runs = [network.Network([784, 30, 10], "randn", seed=s).SGD(
        training, 1, 10, 3.0, test_data=test, verbose=False).test_cost for s in (3, 3, 4)]
    assert runs[0] == runs[1] != runs[2]


# ---- saturation ----------------------------------------------------------


def test_saturation_counts_with_the_diagnostics_definition():
    # One definition of "saturated" in the project: the script's measure is
    # diagnostics', sigma' below --threshold times its maximum.
    z = np.array([[0.0, 5.0], [-7.0, 50.0]])
    net = network.Network([2, 2], "zeros")
    net.weights[0] = np.eye(2)  # z is the input itself
    assert saturation.measure(net, z, 0.01)[0]["saturated"] == 0.5  # |z| > 5.99
    assert saturation.measure(net, z, 0.04)[0]["saturated"] == 0.75  # |z| > 4.59


@pytest.mark.parametrize("init", ["rand", "randn", "xavier_uniform", "chapter3"])
def test_predicted_moments_match_a_wide_layer(init):
    # With many neurons, the spread of z over neurons and inputs is what the
    # scheme's formula says.
    rng = np.random.default_rng(0)
    X = rng.random((200, 784)) * (rng.random((200, 784)) < 0.2)  # sparse, like digits
    net = network.Network([784, 3000, 10], init, seed=1)
    layer = saturation.measure(net, X, 0.01)[0]
    assert layer["mean"] == pytest.approx(layer["predicted_mean"], abs=0.1 + 0.02 *
                                          abs(layer["predicted_mean"]))
    assert layer["var"] == pytest.approx(layer["predicted_var"], rel=0.1)


# ---- distributions --------------------------------------------------------


@pytest.mark.parametrize("init", distributions.SCHEMES)
def test_theoretical_density_integrates_to_one(init):
    grid = np.linspace(-4, 4, 200_001)
    density = distributions.density(init, 784, 30, grid)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-3)


# ---- the other scripts, end to end on a little real data --------------------


@pytest.mark.parametrize(("module", "argv", "outputs"), [
    (saturation, ["--inits", "rand,xavier_normal", "--images", "200"],
     ["saturation.png", "saturation.md", "saturation.json"]),
    (symmetry, ["--quick", "--train-size", "300", "--width", "10", "--widths", "10",
                "--kernels", "Haswell"],
     ["symmetry.png", "symmetry.md", "symmetry.json"]),
    (gradient_flow, ["--inits", "rand,zeros", "--epochs", "1", "--train-size", "300",
                     "--images", "100", "--jobs", "1"],
     ["gradient_flow.png", "gradient_flow.md", "gradient_flow.json"]),
    (distributions, [], ["distributions.png", "distributions.md"]),
])
def test_scripts_write_their_outputs(module, argv, outputs, tmp_path, mnist_dir, capsys):
    docs = tmp_path / "docs" / module.NAME
    data = [] if module is distributions else ["--data-dir", str(mnist_dir)]
    assert module.main([*argv, *data, "--out", str(tmp_path / "out"), "--docs", str(docs)]) == 0
    for name in outputs:
        assert (tmp_path / "out" / name).stat().st_size > 0
    assert docs.with_suffix(".png").stat().st_size < 200_000
    caption = docs.with_suffix(".md").read_text()
    assert "Made by `python -m experiments." in caption
    here = machine.machine()  # the caption names where its numbers were made
    assert f"{here['cpu']}, {here['blas']} ({here['blas_kernel']} kernel" in caption


SWEEP = """
import os, sys, time
sys.path.insert(0, {root!r})
from experiments import runner

def work(path):
    with open(path + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(path + ".tmp", path)
    time.sleep(120)

if __name__ == "__main__":
    for _ in runner.run_all(work, [sys.argv[1] + "/a", sys.argv[1] + "/b"], 2):
        pass
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's reaping is left


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_workers_exit_when_the_sweep_is_killed(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(SWEEP.format(root=str(Path(__file__).resolve().parent.parent)))
    sweep = subprocess.Popen([sys.executable, str(script), str(tmp_path)])
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not ((tmp_path / "a").exists() and (tmp_path / "b").exists()):
            assert time.monotonic() < deadline, "the workers never started"
            assert sweep.poll() is None, "the sweep ended early"
            time.sleep(0.1)
        workers += [int((tmp_path / name).read_text()) for name in "ab"]
        assert all(_running(pid) for pid in workers)
        sweep.send_signal(signal.SIGTERM)  # the sweep alone, as `kill` does
        sweep.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid in workers):
            assert time.monotonic() < deadline, "orphaned workers kept running"
            time.sleep(0.1)
    finally:
        for pid in [sweep.pid, *workers]:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def test_data_received_again_as_an_equal_object_is_not_converted_again(mnist_dir):
    # Dask may hand a worker the data it holds as a new, equal object: the
    # conversion to float64 is kept; other data replaces it.
    raw = datasets.raw_arrays("mnist", mnist_dir)
    try:
        datasets.receive("mnist", raw)
        first = datasets.load("mnist", "/nowhere")[0][0]
        datasets.receive("mnist", raw._replace(**{k: v.copy() for k, v in raw._asdict().items()}))
        assert datasets.load("mnist", "/nowhere")[0][0] is first
        other = raw._replace(train_labels=(raw.train_labels + 1) % 10)
        datasets.receive("mnist", other)
        again = datasets.load("mnist", "/nowhere")
        assert again[0][0] is not first
        np.testing.assert_array_equal(again[0][1], (raw.train_labels[:50_000] + 1) % 10)
    finally:
        datasets.forget_received()


def test_the_docs_flag_names_each_file_it_writes(capsys):
    from nndl.checks import listed

    assert [listed(x) for x in (["a"], ["a", "b"], ["a", "b", "c"])] == [
        "a", "a and b", "a, b and c"]
    from experiments import sessions

    with pytest.raises(SystemExit):
        sessions.parse_args(["--help"])
    assert "also write PREFIX.md (" in " ".join(capsys.readouterr().out.split())
