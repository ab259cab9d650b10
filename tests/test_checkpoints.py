"""Checkpoints of the sweeps' runs (experiments/checkpoints.py, runner.sweep).

A run cut off after any epoch resumes from its checkpoint and ends with the
record of an uninterrupted run, bit for bit but for its timings (on this
machine: both runs here); a damaged or foreign checkpoint is one line and a
restart; a run's checkpoint goes once its record is written.  The last tests
kill real sweeps: the whole sweep with SIGKILL (then the same command
resumes it), and a Dask worker mid-run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import network
from experiments import book, checkpoints, compare_initializers, depth, gradient_flow

ROOT = Path(__file__).resolve().parent.parent
TIMINGS = {"seconds", "wall_seconds", "cpu_seconds"}


def without_timings(value):
    """``value`` (a record) without its timings, at any depth: they differ
    from run to run, and a resumed run's count only its own parts."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


# ---- the file ---------------------------------------------------------------


def _trained(seed: int = 0, dtype=np.float64) -> network.Network:
    net = network.Network([6, 5, 3], "xavier_uniform", seed=seed, dtype=dtype)
    X = np.random.default_rng(1).random((40, 6))
    net.SGD((X, np.arange(40) % 3), 2, 10, 0.5, verbose=False)
    return net


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_checkpoint_gives_back_the_network_and_its_generator_exactly(tmp_path, dtype):
    net = _trained(dtype=dtype)
    net.weights[0] = np.asfortranarray(net.weights[0])  # the memory order is kept too
    point = checkpoints.Checkpoint(tmp_path / "c.npz", "key", "code")
    point.save(net, {"epoch": 2, "history": {"seconds": [0.1, float("nan")]}, "extra": {},
                     "seconds": {"wall": 1.0, "cpu": 1.0}})
    fresh = network.Network([6, 5, 3], "zeros", seed=7, dtype=dtype)
    state = point.load(fresh)
    assert state["epoch"] == 2 and np.isnan(state["history"]["seconds"][1])
    for a, b in zip([*net.weights, *net.biases], [*fresh.weights, *fresh.biases]):
        assert a.dtype == b.dtype and np.array_equal(a, b)
        assert a.flags.f_contiguous == b.flags.f_contiguous
    assert np.array_equal(net.rng.random(5), fresh.rng.random(5))
    with np.load(tmp_path / "c.npz", allow_pickle=False) as z:  # nothing to unpickle
        assert z["meta"].dtype == np.uint8
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]  # no temporary file left


@pytest.mark.parametrize(("damage", "why"), [
    (lambda p: p.write_bytes(p.read_bytes()[:-100]), "cannot be read"),
    (lambda p: p.write_bytes(b"not a zip"), "cannot be read"),
    (lambda p: checkpoints.Checkpoint(p, "key", "other").save(
        _trained(), {"epoch": 1, "history": {}, "extra": {}, "seconds": {}}), "other code"),
    (lambda p: checkpoints.Checkpoint(p, "another", "code").save(
        _trained(), {"epoch": 1, "history": {}, "extra": {}, "seconds": {}}), "another run"),
    (lambda p: checkpoints.Checkpoint(p, "key", "code").save(
        _trained(dtype=np.float32), {"epoch": 1, "history": {}, "extra": {}, "seconds": {}}),
     "shapes or dtype"),
])
def test_a_damaged_or_foreign_checkpoint_is_one_line_and_ignored(tmp_path, capsys, damage, why):
    path = tmp_path / "c.npz"
    checkpoints.Checkpoint(path, "key", "code").save(
        _trained(), {"epoch": 1, "history": {}, "extra": {}, "seconds": {}})
    damage(path)
    net = network.Network([6, 5, 3], "zeros", seed=3)
    before = [w.copy() for w in net.weights], net.rng.bit_generator.state
    assert checkpoints.Checkpoint(path, "key", "code").load(net) is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and why in err and "starts again from epoch 1" in err, err
    assert all(np.array_equal(a, b) for a, b in zip(before[0], net.weights))
    assert net.rng.bit_generator.state == before[1]


# ---- each script's run, cut off and resumed --------------------------------------


class Killed(BaseException):
    """Stands for a kill right after a checkpoint was written."""


def _cut_after(monkeypatch, saves: int) -> None:
    """Make the ``saves``-th checkpoint written the run's last act."""
    real, count = checkpoints.Checkpoint.save, [0]

    def save(self, net, state):
        real(self, net, state)
        count[0] += 1
        if count[0] == saves:
            raise Killed

    monkeypatch.setattr(checkpoints.Checkpoint, "save", save)


def _tasks(mnist_dir):
    """(train, config, epochs) of each script's kinds of run, tiny."""
    cmp = compare_initializers.parse_args(["--epochs", "3", "--train-size", "200"])
    grad = gradient_flow.parse_args(["--epochs", "3", "--train-size", "200", "--images", "50"])
    deep = depth.parse_args(["--width", "8", "--depth", "3", "--epochs", "3", "--train-size",
                             "200", "--dtype", "float32"])
    ch1 = {**book.run_config("ch1-30", 2, quick=True), "epochs": 3, "train_size": 200}
    ch3 = {**book.run_config("ch3-winit-30-old", 2, quick=True), "epochs": 3, "train_size": 200}
    return {
        "compare randn": (compare_initializers.train,
                          compare_initializers.run_config(cmp, "randn", 1)),
        "compare lsuv": (compare_initializers.train,
                         compare_initializers.run_config(cmp, "lsuv", 1)),
        "gradient_flow": (gradient_flow.train, gradient_flow.run_config(grad, "xavier_normal")),
        "depth": (depth.train, depth.run_config(deep, "tanh", "xavier_uniform", 0.1, 0)),
        "book chapter 1": (book.train, ch1),
        "book chapter 3 (network2)": (book.train, ch3),
    }


@pytest.mark.parametrize("kind", ["compare randn", "compare lsuv", "gradient_flow", "depth",
                                  "book chapter 1", "book chapter 3 (network2)"])
def test_a_run_cut_off_after_any_epoch_resumes_to_the_same_record(kind, mnist_dir, tmp_path,
                                                                   monkeypatch, capsys):
    train, config = _tasks(mnist_dir)[kind]
    whole = train({"config": config, "data_dir": str(mnist_dir), "label": "[t]"})
    for epochs_done in (1, 2, 3):  # 3: cut off after the last epoch, before the record
        path = tmp_path / f"{epochs_done}.npz"
        task = {"config": config, "data_dir": str(mnist_dir), "label": "[t]",
                "checkpoint": str(path)}
        with monkeypatch.context() as m:
            _cut_after(m, epochs_done)
            with pytest.raises(Killed):
                train(task)
        capsys.readouterr()
        resumed = train(task)
        assert f"[t] resumed after epoch {epochs_done} from {path}" in capsys.readouterr().err
        assert without_timings(resumed) == without_timings(whole), (kind, epochs_done)
        assert json.dumps(without_timings(resumed)) == json.dumps(without_timings(whole))


# ---- a sweep's checkpoints --------------------------------------------------------


def test_a_sweep_removes_each_checkpoint_with_its_record(mnist_dir, tmp_path, monkeypatch):
    seen = []
    real = checkpoints.remove

    def remove(path):
        seen.append((path, path.exists(), len(list((tmp_path / "runs").glob("*.json")))))
        real(path)

    monkeypatch.setattr(checkpoints, "remove", remove)
    args = compare_initializers.parse_args(
        ["--epochs", "2", "--train-size", "200", "--inits", "randn,zeros", "--seeds", "1",
         "--jobs", "1", "--data-dir", str(mnist_dir), "--out", str(tmp_path)])
    stray = tmp_path / "checkpoints" / ".randn-seed0-x.npz.abc.tmp"  # a kill mid-write
    stray.parent.mkdir()
    stray.write_bytes(b"half")
    monkeypatch.setattr(compare_initializers, "record_path",
                        lambda out, c: out / "runs" / f"{c['init']}-seed{c['seed']}-x.json")
    compare_initializers.sweep(args)
    assert [(exists, records_then) for _, exists, records_then in seen] == [(True, 1), (True, 2)]
    assert all(p.parent == tmp_path / "checkpoints" for p, _, _ in seen)
    assert not (tmp_path / "checkpoints").exists()


def test_a_sweep_checks_the_data_before_it_counts_the_runs(tmp_path, offline, capsys):
    with pytest.raises(SystemExit) as exit_info:
        compare_initializers.cli.main_guard(lambda: compare_initializers.main(
            ["--quick", "--out", str(tmp_path / "out")]))
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert "to train with" not in captured.out and "error:" in captured.err


def test_the_time_left_is_estimated_once_runs_have_finished(mnist_dir, tmp_path, capsys):
    compare_initializers.sweep(compare_initializers.parse_args(
        ["--epochs", "1", "--train-size", "200", "--inits", "randn", "--seeds", "3",
         "--jobs", "1", "--data-dir", str(mnist_dir), "--out", str(tmp_path)]))
    done = [line for line in capsys.readouterr().out.splitlines() if line.startswith("done")]
    assert re.search(r"; 2 runs left, about \d+ s$", done[0]), done
    assert re.search(r"; 1 run left, about \d+ s$", done[1]), done
    assert done[2].endswith("%")  # the last: nothing left


# ---- killed sweeps -----------------------------------------------------------------

QUICK = ["--quick", "--inits", "randn,zeros", "--seeds", "1", "--train-size", "1000"]
EPOCH = re.compile(r"^\[run \d+/\d+ (.+)\] epoch (\d+)/(\d+):", re.M)


def _start(out: Path, *argv: str, name: str) -> subprocess.Popen:
    """``python -m experiments.compare_initializers ARGV`` in its own process
    group, its output in ``out/NAME.out`` and ``.err``."""
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "experiments.compare_initializers", *argv, "--out", str(out)],
        cwd=ROOT, env=env, start_new_session=True, stdout=(out / f"{name}.out").open("w"),
        stderr=(out / f"{name}.err").open("w"))


def _kill_when(sweep: subprocess.Popen, ready, timeout: float = 120) -> None:
    """SIGKILL the sweep's whole process group once ``ready()``."""
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert sweep.poll() is None, "the sweep ended before the kill"
            assert time.monotonic() < deadline, "the sweep made no checkpoint in time"
            time.sleep(0.002)
        os.killpg(sweep.pid, signal.SIGKILL)
    finally:
        with_group_gone(sweep)


def with_group_gone(sweep: subprocess.Popen) -> None:
    try:
        os.killpg(sweep.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    sweep.wait()


def _epochs(text: str) -> list[tuple[str, int]]:
    return [(m[1], int(m[2])) for m in EPOCH.finditer(text)]


def test_a_sweep_killed_mid_run_resumes_retraining_at_most_one_epoch(mnist_dir, tmp_path):
    """The acceptance test: ``kill -9`` of a sweep once its first run has a
    checkpoint, then the same command: the records are an uninterrupted
    sweep's, and at most one epoch was trained twice."""
    argv = [*QUICK, "--jobs", "1", "--data-dir", str(mnist_dir)]
    out = tmp_path / "killed"
    sweep = _start(out, *argv, name="first")
    _kill_when(sweep, lambda: any((out / "checkpoints").glob("*.npz")))
    assert not list((out / "runs").glob("*.json")), "the kill landed after a whole run"
    again = _start(out, *argv, name="again")
    assert again.wait(timeout=120) == 0, (out / "again.err").read_text()

    whole = tmp_path / "whole"
    compare_initializers.main([*argv, "--out", str(whole)])
    names = sorted(p.name for p in (whole / "runs").glob("*.json"))
    assert sorted(p.name for p in (out / "runs").glob("*.json")) == names and len(names) == 2
    for name in names:
        a, b = (json.loads((folder / "runs" / name).read_text()) for folder in (out, whole))
        assert without_timings(a) == without_timings(b), name  # bit for bit
    assert not (out / "checkpoints").exists()

    first, resumed = _epochs((out / "first.out").read_text()), _epochs((out / "again.out")
                                                                      .read_text())
    epochs = compare_initializers.QUICK_EPOCHS
    assert first and {name for name, _ in first} == {first[0][0]}  # killed in its first run
    match = re.fullmatch(rf"\[run 1/2 {first[0][0]}\] resumed after epoch (\d+) from .+\.npz",
                         (out / "again.err").read_text().strip())
    assert match, (out / "again.err").read_text()
    kept = int(match[1])
    assert [e for _, e in first][:kept] == list(range(1, kept + 1))
    assert [e for n, e in resumed if n == first[0][0]] == list(range(kept + 1, epochs + 1))
    retrained = len(first) + len(resumed) - 2 * epochs
    assert retrained in (0, 1) and retrained == len(first) - kept


def _workers(group: int) -> list[int]:
    """The Dask worker processes that a sweep with --scheduler local started
    (spawned by multiprocessing), in its process group."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[2]) == group and b"spawn_main" in cmdline and stat[0] != "Z":
            found.append(int(proc.name))
    return found


@pytest.mark.slow  # about 20 s: a LocalCluster, and a worker that the nanny restarts
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_dask_worker_killed_mid_run_costs_at_most_one_epoch(mnist_dir, tmp_path):
    pytest.importorskip("distributed")
    argv = [*QUICK, "--seeds", "2", "--data-dir", str(mnist_dir)]
    out = tmp_path / "dask"
    sweep = _start(out, *argv, "--scheduler", "local", "--jobs", "2", name="sweep")
    try:
        deadline = time.monotonic() + 120
        # Both runs in flight have a checkpoint: the worker killed has one.
        while len(list((out / "checkpoints").glob("*.npz"))) < 2:
            assert sweep.poll() is None, (out / "sweep.err").read_text()
            assert time.monotonic() < deadline, "no checkpoint in time"
            time.sleep(0.002)
        workers = _workers(sweep.pid)
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)
        assert sweep.wait(timeout=180) == 0, (out / "sweep.err").read_text()
    finally:
        with_group_gone(sweep)
    whole = tmp_path / "whole"
    compare_initializers.main([*argv, "--jobs", "1", "--out", str(whole)])
    names = sorted(p.name for p in (whole / "runs").glob("*.json"))
    for name in names:
        a, b = (json.loads((folder / "runs" / name).read_text()) for folder in (out, whole))
        assert without_timings(a) == without_timings(b), name
    errors = (out / "sweep.err").read_text()
    resumed = re.findall(r"\] resumed after epoch (\d+) from ", errors)
    assert resumed, errors  # a killed run went on from its checkpoint
    lines = _epochs((out / "sweep.out").read_text())
    retrained = len(lines) - len(names) * compare_initializers.QUICK_EPOCHS
    assert retrained in (0, 1), lines  # at most one epoch of the run on the killed worker
    assert not (out / "checkpoints").exists()
