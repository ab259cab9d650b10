"""The Dask backend of the experiments' sweeps (experiments/runner.py), on a
LocalCluster of 2 worker processes bound to loopback, shared by the module.

A tiny sweep on real MNIST (300 training images, 2 epochs, 6 runs) checks
that the Dask backend writes the local backend's records bit for bit, that
the data reaches each worker once, that a sweep resumes after its client is
killed, that a worker killed mid-run costs only that run, that Ctrl-C stops
a sweep with one line, and that a missing Dask or an unreachable scheduler
gives a one-line error.  So does an address where something else listens (a
web server, a banner, a Dask worker), within the timeout; a malformed address
is a usage error before anything connects; a worker without the data says
which worker and how to give it the data.  Progress lines of several
processes never run together, and the tables' captions leave out the backend.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import mnist_loader
from experiments import book, cli, compare_initializers, datasets, gradient_flow, report, runner

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ["--epochs", "2", "--train-size", "300", "--inits", "randn,zeros", "--seeds", "3"]
RUNS = 6


@pytest.fixture(scope="module")
def cluster():
    """``(address, client)`` of a LocalCluster: 2 worker processes, one
    thread each, on 127.0.0.1."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0",
                                  silence_logs=logging.ERROR) as local, \
            distributed.Client(local, set_as_default=False) as client:
        yield local.scheduler_address, client


@pytest.fixture(scope="module")
def reference(mnist_dir, tmp_path_factory) -> dict[str, dict]:
    """The sweep's records from the local backend, here, one run after another."""
    out = tmp_path_factory.mktemp("local")
    _sweep(mnist_dir, out, "--jobs", "1")
    return _saved(out)


def _argv(mnist_dir: Path, out: Path, *extra: str) -> list[str]:
    return [*SWEEP, "--data-dir", str(mnist_dir), "--out", str(out), *extra]


def _sweep(mnist_dir: Path, out: Path, *extra: str) -> None:
    """The sweep, here: its runs and records (without the figure and table)."""
    compare_initializers.sweep(compare_initializers.parse_args(_argv(mnist_dir, out, *extra)))


def _saved(out: Path) -> dict[str, dict]:
    """The records in ``out/runs``, each whole JSON; no temporary file left."""
    runs = out / "runs"
    assert not [p.name for p in runs.iterdir() if not p.name.endswith(".json")]
    return {p.name: json.loads(p.read_text()) for p in sorted(runs.glob("*.json"))}


def _numbers(record: dict) -> dict:
    """A record without its timings, which differ from run to run."""
    numbers = {k: v for k, v in record.items() if k != "wall_seconds"}
    numbers["history"] = {k: v for k, v in record["history"].items() if k != "seconds"}
    return numbers


def _same_as_reference(out: Path, reference: dict[str, dict]) -> None:
    saved = _saved(out)
    assert saved.keys() == reference.keys() and len(saved) == RUNS
    for name, record in saved.items():
        assert _numbers(record) == _numbers(reference[name]), name  # bit for bit


# `python -m experiments.compare_initializers`, with Ctrl-C handled as in a
# terminal even when these tests run where SIGINT is ignored (a background job
# of a script), which a child would inherit.
SWEEP_COMMAND = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                 "runpy.run_module('experiments.compare_initializers', run_name='__main__', "
                 "alter_sys=True)")


def _start_sweep(mnist_dir: Path, out: Path, *extra: str) -> subprocess.Popen:
    """The sweep as a command in its own process group (as a shell starts it),
    its output in files beside ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-c", SWEEP_COMMAND, *_argv(mnist_dir, out, *extra)],
        cwd=ROOT, start_new_session=True, stdout=(out / "stdout").open("w"),
        stderr=(out / "stderr").open("w"))


def _wait_for_a_record(sweep: subprocess.Popen, out: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not list((out / "runs").glob("*.json")):
        assert sweep.poll() is None, (out / "stderr").read_text()
        assert time.monotonic() < deadline, "no run finished in time"
        time.sleep(0.02)


def _stop(sweep: subprocess.Popen) -> None:
    """Kill what is left of the sweep's process group."""
    try:
        os.killpg(sweep.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    sweep.wait()


# ---- the same records ---------------------------------------------------------


def test_dask_writes_the_local_backends_records(cluster, reference, mnist_dir, tmp_path, capsys):
    address, _ = cluster
    _sweep(mnist_dir, tmp_path, "--scheduler", address)
    assert f"{RUNS} to train with the Dask cluster at {address}" in capsys.readouterr().out
    _same_as_reference(tmp_path, reference)


def _local_and_dask(main, argv: list[str], address: str, out: Path, timing: str) -> dict:
    """The records a script writes on the local backend and on Dask, without
    their timings, keyed by backend and file name."""
    outputs = {}
    for name, backend in (("local", ["--jobs", "1"]), ("dask", ["--scheduler", address])):
        assert main([*argv, *backend, "--out", str(out / name)]) == 0
        outputs[name] = {p.name: json.loads(p.read_text()) for p in (out / name / "runs").iterdir()}
        for record in outputs[name].values():
            record.pop(timing)
    return outputs


def test_gradient_flow_on_dask_records_the_local_numbers_and_resumes(cluster, mnist_dir,
                                                                    tmp_path, capsys):
    address, _ = cluster
    argv = ["--inits", "randn,zeros", "--epochs", "1", "--train-size", "300", "--images",
            "100", "--data-dir", str(mnist_dir)]
    outputs = _local_and_dask(gradient_flow.main, argv, address, tmp_path, "seconds")
    assert outputs["local"] == outputs["dask"] and len(outputs["local"]) == 2
    assert gradient_flow.main([*argv, "--scheduler", address, "--out",
                               str(tmp_path / "dask")]) == 0
    assert "2 reused" in capsys.readouterr().out


def test_the_book_table_on_dask_records_the_local_numbers_and_resumes(cluster, mnist_dir,
                                                                     tmp_path, capsys):
    """experiments.book: a trained row (quick) and a speed-of-learning row."""
    address, _ = cluster
    argv = ["--quick", "--rows", "ch1-30-eta100,ch5-speed-2-h1", "--seeds", "2",
            "--data-dir", str(mnist_dir)]
    outputs = _local_and_dask(book.main, argv, address, tmp_path, "wall_seconds")
    assert f"4 to do on the Dask cluster at {address}" in capsys.readouterr().out
    assert outputs["local"] == outputs["dask"] and len(outputs["local"]) == 4
    assert book.main([*argv, "--scheduler", address, "--out", str(tmp_path / "dask")]) == 0
    assert "4 reused" in capsys.readouterr().out


def _fingerprint(data: tuple) -> list[str]:
    (X, y), (Xv, yv), (Xt, yt) = data
    return [hashlib.sha256(a.tobytes()).hexdigest()
            for a in (X[::7], y, Xv[::7], yv, Xt[::7], yt)]


def seen_by_a_worker(data_dir: str) -> tuple:
    """Run on a worker: its process, the float64 array it trains on, and a
    fingerprint of the data as it sees them."""
    data = datasets.load("mnist", data_dir)
    return os.getpid(), id(data[0][0]), _fingerprint(data)


@pytest.mark.parametrize("data_from", ["client", "workers"])
def test_data_reaches_each_worker_once_as_the_loader_reads_it(data_from, cluster, mnist_dir):
    address, _ = cluster
    backend = runner.Backend(scheduler=address, dataset="mnist", data_dir=mnist_dir,
                             data_from=data_from)
    # Data sent by the client is used whatever folder a task names.
    data_dir = "/nowhere" if data_from == "client" else str(mnist_dir)
    results = list(runner.run_all(seen_by_a_worker, [data_dir] * 6, backend))
    arrays_per_worker: dict[int, set[int]] = {}
    for pid, array, _ in results:
        arrays_per_worker.setdefault(pid, set()).add(array)
    # Once per worker process: every task there trains on the same array.
    assert 1 <= len(arrays_per_worker) <= 2
    assert all(len(ids) == 1 for ids in arrays_per_worker.values())
    expected = _fingerprint(datasets.load("mnist", mnist_dir))
    assert all(seen == expected for _, _, seen in results)  # converted as the loader does


# ---- interrupted sweeps ---------------------------------------------------------


def test_a_sweep_resumes_after_its_client_is_killed(cluster, reference, mnist_dir, tmp_path,
                                                    capsys):
    address, _ = cluster
    sweep = _start_sweep(mnist_dir, tmp_path, "--scheduler", address)
    try:
        _wait_for_a_record(sweep, tmp_path)
        os.killpg(sweep.pid, signal.SIGKILL)
        sweep.wait()
    finally:
        _stop(sweep)
    kept = len(_saved(tmp_path))
    assert 1 <= kept < RUNS, "the kill did not land mid-sweep"
    _sweep(mnist_dir, tmp_path, "--scheduler", address)
    out = capsys.readouterr().out
    assert f"{kept} reused" in out and f"{RUNS - kept} to train" in out
    _same_as_reference(tmp_path, reference)


def _executing(dask_worker) -> int:
    return dask_worker.state.executing_count


def test_a_worker_killed_mid_run_costs_only_that_run(cluster, reference, mnist_dir, tmp_path):
    address, client = cluster
    pids = client.run(os.getpid)
    killed: list[str] = []

    def kill_a_busy_worker() -> None:
        deadline = time.monotonic() + 300  # a shared machine can be very slow
        while not any((tmp_path / "runs").glob("*.json")):  # the sweep is under way
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        while time.monotonic() < deadline:
            busy = [w for w, n in client.run(_executing).items() if n]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        _sweep(mnist_dir, tmp_path, "--scheduler", address)
    finally:
        killer.join()
    assert killed, "no worker was caught mid-run"
    _same_as_reference(tmp_path, reference)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it, for the next tests


def _group_alive(group: int) -> list[int]:
    """The processes of process group ``group`` that have not exited."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


# Ctrl-C in a terminal signals the whole process group (the sweep and the
# workers it started); `kill -INT` signals the sweep alone.
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize(("backend", "ctrl_c"), [
    (["--jobs", "2"], True),
    (["--scheduler", "local", "--jobs", "2"], True),
    (["--scheduler", "ADDRESS"], False),
])
def test_ctrl_c_stops_a_sweep_with_one_line(backend, ctrl_c, reference, mnist_dir, tmp_path,
                                            request):
    if "ADDRESS" in backend:
        address, _ = request.getfixturevalue("cluster")
        backend = [address if a == "ADDRESS" else a for a in backend]
    elif "--scheduler" in backend:
        pytest.importorskip("distributed")
    sweep = _start_sweep(mnist_dir, tmp_path, *backend)
    try:
        _wait_for_a_record(sweep, tmp_path)
        if ctrl_c:
            os.killpg(sweep.pid, signal.SIGINT)
        else:
            os.kill(sweep.pid, signal.SIGINT)
        assert sweep.wait(timeout=60) == 130
        deadline = time.monotonic() + 10
        while _group_alive(sweep.pid):  # its workers stop with it
            assert time.monotonic() < deadline, f"left running: {_group_alive(sweep.pid)}"
            time.sleep(0.1)
    finally:
        _stop(sweep)
    # One line, the last; no traceback (Dask may warn of a slow start before it).
    errors = (tmp_path / "stderr").read_text()
    assert "Traceback" not in errors and "KeyboardInterrupt" not in errors, errors
    match = re.fullmatch(rf"interrupted: (\d) of {RUNS} runs saved in (.+); rerun the same "
                         r"command to resume", errors.strip().splitlines()[-1])
    assert match and match[2] == str(tmp_path / "runs")
    saved = _saved(tmp_path)
    assert int(match[1]) == len(saved) >= 1
    for name, record in saved.items():
        assert _numbers(record) == _numbers(reference[name]), name


# ---- errors ---------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Both on loopback: a closed port by address and by name (no DNS is asked).
@pytest.mark.parametrize("address", ["tcp://127.0.0.1:{port}", "tcp://localhost:{port}"])
def test_an_unreachable_scheduler_is_one_line_within_the_timeout(address, mnist_dir, tmp_path,
                                                                 monkeypatch, capsys):
    pytest.importorskip("distributed")
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", 2.0)
    address = address.format(port=_closed_port())
    start = time.monotonic()
    with pytest.raises(SystemExit) as exit_info:
        compare_initializers.main(_argv(mnist_dir, tmp_path, "--scheduler", address))
    assert time.monotonic() - start < 15
    assert exit_info.value.code == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith(f"error: cannot reach a Dask scheduler at {address!r} within 2 s")
    assert "dask scheduler" in errors[0]
    assert not any((tmp_path / "runs").glob("*.json"))


def cannot_find_the_data(task: int) -> None:
    raise mnist_loader.DataNotFoundError("MNIST not found in /nowhere.\nLooked in: ...")


def square(task: int) -> int:
    return task * task


def test_workers_without_data_or_with_other_code_stop_the_sweep(cluster, monkeypatch):
    address, _ = cluster
    backend = runner.Backend(scheduler=address, data_from="workers")
    with pytest.raises(runner.ClusterError, match=r"the worker at tcp://127\.0\.0\.1:\d+ cannot "
                                                  r"read the MNIST data \(MNIST not found in "
                                                  r"/nowhere\); .*--data-from client"):
        list(runner.run_all(cannot_find_the_data, [1], backend))
    assert list(runner.run_all(square, [3], backend)) == [9]
    # The client's hash of the code differs from the workers' (which is unpatched).
    monkeypatch.setattr(runner, "code_version", lambda fn: "0123456789ab")
    with pytest.raises(runner.ClusterError, match=r"the worker at tcp://127\.0\.0\.1:\d+ runs "
                                                  "other code than this machine"):
        list(runner.run_all(square, [3], backend))


def test_without_dask_scheduler_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    with pytest.raises(SystemExit) as exit_info:
        compare_initializers.parse_args(["--scheduler", "local"])
    assert exit_info.value.code == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and 'pip install -e ".[cluster]"' in errors[0]
    with pytest.raises(runner.ClusterError, match=r'pip install -e "\.\[cluster\]"'):
        runner.Backend(scheduler="tcp://127.0.0.1:8786")


def test_data_from_without_a_scheduler_is_a_warning(capsys):
    args = compare_initializers.parse_args(["--data-from", "workers"])
    assert args.scheduler is None
    assert "warning: --data-from workers has no effect without --scheduler" in \
        capsys.readouterr().err


def test_the_local_cluster_listens_on_loopback_only():
    """Scheduler, workers and dashboard of ``--scheduler local``: 127.0.0.1."""
    pytest.importorskip("distributed")
    with runner._client(runner.Backend(jobs=1, scheduler=runner.LOCAL), 1) as client:
        info = client.scheduler_info()
        addresses = [info["address"], *info["workers"]]
        assert all(a.startswith("tcp://127.0.0.1:") for a in addresses), addresses
        # The dashboard's bound sockets (tornado's), not only the link it shows.
        bound = client.run_on_scheduler(lambda dask_scheduler: [
            sock.getsockname()[0] for sock in dask_scheduler.http_server._sockets.values()])
        assert bound and set(bound) == {"127.0.0.1"}, bound


def test_the_local_backend_does_not_need_dask(mnist_dir, tmp_path, monkeypatch):
    for name in ("dask", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)  # importing it would fail
    _sweep(mnist_dir, tmp_path, "--jobs", "1", "--seeds", "1")
    assert len(_saved(tmp_path)) == 2


@pytest.mark.slow
def test_the_cluster_benchmark_runs_in_quick_mode(mnist_dir):
    pytest.importorskip("distributed")
    done = subprocess.run([sys.executable, "-m", "benchmarks.cluster", "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "records: the same bit for bit" in done.stdout


# ---- addresses where no Dask scheduler answers ----------------------------------


@contextmanager
def _listener(greeting: bytes = b"", hang_up: bool = False) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that is not Dask: on each connection it
    sends ``greeting`` (a banner, say), then hangs up or says nothing more.
    Yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    connections: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:  # the timeout: look at `stop` again
                continue
            connections.append(connection)
            with suppress(OSError):
                connection.sendall(greeting)
            if hang_up:
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()
        for connection in connections:
            connection.close()


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # not on the test's stderr
        pass


@contextmanager
def _web_server() -> Iterator[int]:
    """``python -m http.server``'s server, on 127.0.0.1; yields its port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _main_within(seconds: float, main, argv: list[str]):
    """``main(argv)`` in a thread, which must end within ``seconds`` (a hang
    fails the test rather than stopping it); its exit code or return value."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(main(argv))
        except SystemExit as e:
            outcome.append(e.code)
        except BaseException as e:
            outcome.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still running after {seconds} s"
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


@contextmanager
def _listening(kind: str, request) -> Iterator[str]:
    """The address of something that is not a Dask scheduler."""
    if kind in ("dashboard", "worker"):
        _, client = request.getfixturevalue("cluster")
        if kind == "dashboard":  # the cluster's web pages: an HTTP server (Tornado)
            port = urlsplit(client.dashboard_link).port
            yield f"tcp://127.0.0.1:{port}"
        else:  # a Dask server, but not the scheduler
            yield next(iter(client.scheduler_info()["workers"]))
    elif kind == "web server":
        with _web_server() as port:
            yield f"tcp://127.0.0.1:{port}"
    else:
        greeting, hang_up = {
            "ssh banner": (b"SSH-2.0-OpenSSH_9.2\r\n", False),
            "silent": (b"", False),
            "hangs up": (b"", True),
            # what Dask reads as the length of a message to come, which never comes
            "a length, then silence": ((1000).to_bytes(8, "little"), False),
        }[kind]
        with _listener(greeting, hang_up) as port:
            yield f"127.0.0.1:{port}"


@pytest.mark.parametrize("kind", ["web server", "dashboard", "ssh banner", "silent", "hangs up",
                                  "a length, then silence", "worker"])
def test_an_address_where_no_dask_scheduler_listens_is_one_line_within_the_timeout(
        kind, mnist_dir, tmp_path, monkeypatch, capsys, request):
    pytest.importorskip("distributed")
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", 1.0)
    with _listening(kind, request) as address:
        start = time.monotonic()
        code = _main_within(30, compare_initializers.main,
                            _argv(mnist_dir, tmp_path, "--scheduler", address))
        seconds = time.monotonic() - start
    assert code == 2
    assert seconds < 1.0 + 5  # the timeout, the probe's margin, a slow machine
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"error: cannot reach a Dask scheduler at {address!r} within 1 s")
    expected = ("that is a Dask worker, not the scheduler" if kind == "worker"
                else "does not look like a Dask scheduler")
    assert expected in errors[0] and "usually port 8786" in errors[0]
    assert not any((tmp_path / "runs").glob("*.json"))


# A Client whose constructor raises, left to its __del__, stalls the exit by
# twice the timeout and prints "Exception ignored in: <function Client.__del__".
# Skipping the check of what listens makes the Client meet the banner itself.
CLIENT_FAILS = ("import runpy, experiments.runner as r; r.CONNECT_TIMEOUT = 3.0; "
                "r._check_scheduler = lambda address: None; "
                "runpy.run_module('experiments.compare_initializers', run_name='__main__', "
                "alter_sys=True)")


def test_a_client_that_fails_to_connect_leaves_nothing_to_print_at_exit(mnist_dir, tmp_path):
    pytest.importorskip("distributed")
    with _listener(b"SSH-2.0-OpenSSH_9.2\r\n") as port:
        done = subprocess.run(
            [sys.executable, "-c", CLIENT_FAILS, *_argv(mnist_dir, tmp_path, "--scheduler",
                                                        f"tcp://127.0.0.1:{port}")],
            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith("error: cannot reach a Dask scheduler at")


@pytest.mark.parametrize(("address", "expected"), [
    ("http://127.0.0.1:8786", "the scheduler's is the tcp:// address that `dask scheduler` "
                              "prints, usually port 8786: tcp://127.0.0.1:8786"),
    ("https://10.0.0.5:8787/status", "usually port 8786: tcp://10.0.0.5:8786"),
    ("tcp://127.0.0.1", "has no port; expected tcp://HOST:PORT, HOST:PORT or local, such as "
                        "tcp://127.0.0.1:8786"),
    ("localhost", "has no port"),
    ("locl", "did you mean 'local'"),
    ("Local", "did you mean 'local'"),
    ("", "an empty address; expected tcp://HOST:PORT, HOST:PORT or local"),
    ("tcp://10.0.0.5:port", "no valid port"),
    ("udp://10.0.0.5:8786", "the protocol udp://"),
    ("tcp://10.0.0.5:8786/status", "more than a host and a port"),
])
@pytest.mark.parametrize("script", [compare_initializers, book])
def test_a_malformed_scheduler_address_is_a_usage_error(script, address, expected, capsys):
    start = time.monotonic()
    with pytest.raises(SystemExit) as exit_info:
        script.parse_args(["--scheduler", address])
    assert time.monotonic() - start < 5  # nothing tries to connect
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"error: argument --scheduler: {address!r}"[:40] in last or not address
    assert expected in last, last
    with pytest.raises(ValueError, match=re.escape(expected)):  # and for a Python caller
        runner.Backend(scheduler=address)


@pytest.mark.parametrize("address", ["local", "tcp://127.0.0.1:8786", "127.0.0.1:8786",
                                     "tls://scheduler.example:8786", "tcp://[::1]:8786"])
def test_well_formed_scheduler_addresses_pass_the_check(address):
    pytest.importorskip("distributed")
    assert compare_initializers.parse_args(["--scheduler", address]).scheduler == address


# ---- a worker without the data ----------------------------------------------------


def load_without_downloading(task: tuple[str, str]) -> None:
    dataset, data_dir = task
    datasets.load(dataset, data_dir, download=False)


@pytest.mark.parametrize(("dataset", "folder"), [("mnist", "empty"),
                                                 ("fashion-mnist", "missing")])
def test_a_worker_without_the_data_is_one_line_naming_it_and_the_fixes(dataset, folder, cluster,
                                                                        tmp_path, capsys):
    address, client = cluster
    # Data a client sent stays on a worker when its sweep is interrupted (by
    # the Ctrl-C test): the workers would train on it whatever the folder.
    client.run(datasets.forget_received)
    data_dir = tmp_path if folder == "empty" else tmp_path / "not-on-this-worker"
    backend = runner.Backend(scheduler=address, dataset=dataset, data_from="workers")
    with pytest.raises(SystemExit) as exit_info, runner.resumable(lambda: (0, 1), tmp_path):
        list(runner.run_all(load_without_downloading, [(dataset, str(data_dir))], backend))
    assert exit_info.value.code == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1, errors
    match = re.match(r"error: the worker at (tcp://127\.0\.0\.1:\d+) cannot read the "
                     r"(MNIST|Fashion-MNIST) data \((.+)\); give the workers the data with "
                     r"--data-dir DIR \(a folder every worker can read\), \$(\w+) set on each "
                     r"worker, or --data-from client", errors[0])
    assert match, errors[0]
    assert match[1] in client.scheduler_info()["workers"]
    assert match[2] == mnist_loader.TITLES[dataset]
    assert match[4] == datasets.ENV_VARS[dataset]
    assert "data_dir=" not in errors[0]
    assert ("does not exist" if folder == "missing" else "data not found") in match[3]


# ---- what the sweeps print --------------------------------------------------------


def test_a_progress_line_is_one_write(monkeypatch):
    writes: list[str] = []

    class Recorder:
        def write(self, text: str) -> int:
            writes.append(text)
            return len(text)

        def flush(self) -> None:
            writes.append("<flush>")

    monkeypatch.setattr(sys, "stdout", Recorder())
    report.progress("[randn seed 0] epoch 1/2: 91.20% (0.03 s)")
    assert writes == ["[randn seed 0] epoch 1/2: 91.20% (0.03 s)\n", "<flush>"]


# Each process waits for the same moment, so that their lines overlap in time.
PROGRESS_LINES = ("import sys, time; from experiments import report\n"
                  "while time.time() < float(sys.argv[2]): time.sleep(0.001)\n"
                  "for i in range(2000): report.progress(f'[{sys.argv[1]}] line {i} ' + 'x' * 60)")


def test_progress_lines_of_two_processes_never_run_together():
    """Two unbuffered processes (as a worker's output can be) on one pipe:
    with ``print``, about a third of the lines ran together here."""
    read_end, write_end = os.pipe()
    start = str(time.time() + 2)  # after both have started
    with os.fdopen(read_end) as reader:
        try:
            writers = [subprocess.Popen([sys.executable, "-u", "-c", PROGRESS_LINES, name, start],
                                        cwd=ROOT, stdout=write_end) for name in ("a", "b")]
        finally:
            os.close(write_end)  # the writers hold it: the pipe ends when both exit
        lines = reader.read().splitlines()
    for writer in writers:
        assert writer.wait(timeout=60) == 0
    expected = {f"[{name}] line {i} " + "x" * 60 for name in "ab" for i in range(2000)}
    assert sorted(lines) == sorted(expected)


@pytest.mark.parametrize("backend", [
    ["--scheduler", "tcp://10.1.2.3:8786"],
    ["--scheduler=tcp://10.1.2.3:8786", "--data-from=workers"],
    ["--scheduler", "local", "--data-from", "client"],
    ["--sched", "tcp://10.1.2.3:8786", "--data-f", "workers"],  # abbreviations argparse takes
])
def test_captions_leave_out_the_backend(backend):
    argv = ["--seeds", "3", "--data-dir", "/data/mnist", "--out", "results/x", "--jobs", "2"]
    for where in (0, 2, len(argv)):  # before, among and after the other flags
        command = cli.command_line("experiments.depth", [*argv[:where], *backend, *argv[where:]])
        assert command == ("python -m experiments.depth --seeds 3 --data-dir /data/mnist "
                           "--out results/x --jobs 2")
