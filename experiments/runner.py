"""experiments.runner
~~~~~~~~~~~~~~~~~~~~

Running a sweep's independent trainings, with two backends:

* the **local pool** (the default): the runs go to ``--jobs`` fresh
  processes on this machine (``--jobs 1``: here, one after another);
* **Dask** (``--scheduler``): the runs go to the workers of a Dask cluster,
  ``--scheduler tcp://host:8786`` for a running ``dask scheduler``,
  ``--scheduler local`` for a ``distributed.LocalCluster`` of ``--jobs``
  worker processes started for the sweep and closed after it.  Dask is an
  optional dependency: ``pip install -e ".[cluster]"``.

Either way every run trains with one BLAS thread (set with threadpoolctl
when a worker starts, and around the runs for ``--jobs 1``, which trains
here): several workers each running one BLAS thread per core would fight
over the cores, and a product split between threads can sum in another
order and change the last bits.  A run draws every random number from its
own seed, so the numbers are the same bit for bit on either backend and
whatever ``--jobs`` is.

The API an experiment script uses (``compare_initializers`` is the
example)::

    cli.add_training_args(p, ..., jobs=runner.default_jobs())
    cli.add_sweep_args(p)                    # --scheduler, --data-from
    ...
    def runs(args):                          # every run of the sweep
        return [runner.Run(key, config, record_path, name) for ...]
    def read(run):                           # its saved record, if fit to reuse
        return records.read_record(run.path, run.config, FORMAT, VERSION, code)
    def train(task):                         # one run, checkpointed; returns its record
        run = checkpoints.Training(net, task, code)
        net.SGD(data, run.left(epochs), ..., callback=run.callback(show))
        return {..., "history": run.history, "wall_seconds": run.wall_seconds()}
    def work(args, command):                 # the sweep, then the figures, the tables
        done = runner.sweep(args, train, runs(args), read, check_data)
    def main(argv=None):
        return runner.main(NAME, argv, parse_args, runs, read, work)

* ``train(task)`` is a module-level function (workers import it by name)
  that trains one run and *returns* its record; it reads its data with
  :func:`experiments.datasets.load` ``(dataset, data_dir, n_train)``.  It
  writes nothing but the run's checkpoint, after every epoch, to the path
  ``task["checkpoint"]`` (:mod:`experiments.checkpoints`): records stay
  with the client, which writes each one atomically as it arrives and then
  removes the run's checkpoint.  So a sweep killed on either side keeps
  every finished run, and resumes the runs in flight from their last whole
  epoch and trains the others.
* :func:`sweep` reuses the records ``read`` finds, checks the data (before
  any progress line), trains the rest on the backend the flags ask for,
  writes each record, prints one line per finished run with an estimate of
  the time left, and returns every record by key.
* :func:`run_all` yields the results in order of completion.  Its third
  argument may also be a number ``n``, the local pool of ``n`` processes.
* :func:`main` is a sweep script's ``main``: the arguments, then the work
  inside :func:`resumable`, which turns Ctrl-C into one line,
  ``interrupted: 9 of 18 runs saved in results/...; rerun the same command
  to resume``, and exit code 130, and a :class:`ClusterError` (an
  unreachable scheduler, say) into one line ``error: ...`` and exit code 2.
  Its counts are taken when Ctrl-C comes, from the records on disk.

Data travels once.  With ``--data-from client`` (the default) the client
sends the data set's uint8 arrays (about 55 MB for MNIST) to each Dask
worker once (``scatter(broadcast=True)``; a worker that joins later fetches
them from a peer), and each worker converts them to float64 once, as
``mnist_loader`` does.  With ``--data-from workers`` each worker reads the
files itself, as :func:`experiments.datasets.load` finds them on its own
machine (``--data-dir`` if given, else its ``$MNIST_DATA_DIR`` or
``$FASHION_MNIST_DATA_DIR``).  The pool's workers read the files, once each.

A Dask worker that dies mid-run costs that run at most one epoch: the
scheduler gives it to another worker (up to
``distributed.scheduler.allowed-failures`` times, 3 by default), which
resumes it from its checkpoint, and a run that raises is retried
:data:`RETRIES` times.  The checkpoints are written by the workers into
the sweep's ``--out`` folder, so on a cluster of several machines that
folder must be one they all share (a network file system); elsewhere a
rescheduled run starts again from epoch 1.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import hashlib
import importlib
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from threadpoolctl import threadpool_limits

import mnist_loader
from experiments import checkpoints, datasets, records, report

LOCAL = "local"  # --scheduler local: a LocalCluster for the sweep
DATA_FROM = ("client", "workers")
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before giving up
RETRIES = 2  # a run that raises on a Dask worker is tried this many times more
INSTALL = 'pip install -e ".[cluster]"'
_NEEDS = (f"the scheduler and every worker need this project, at this version, installed "
          f"({INSTALL} in a checkout of it)")


SCHEDULER_FORMS = f"tcp://HOST:PORT, HOST:PORT or {LOCAL}"
SCHEDULER_PORT = 8786  # `dask scheduler`'s default port; its dashboard's is 8787
PROTOCOLS = ("tcp", "tls", "ws", "wss")  # Dask's network protocols (its default: tcp)


def _split_address(text: str) -> tuple[str, str, SplitResult]:
    """``text``'s protocol (lower case, tcp when none is given), the ``"://"``
    that followed it (empty when none did) and its parts, with a port that
    reads as a number; a ValueError naming the port otherwise."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    scheme = scheme.lower()
    try:
        parts = urlsplit(f"{scheme}://{rest}")
        # Reading the port raises for one that is no number, or out of range.
        parts.port  # noqa: B018
    except ValueError:
        raise ValueError(f"{text!r} has no valid port (a number from 1 to 65535); expected "
                         f"{SCHEDULER_FORMS}") from None
    return scheme, sep, parts


def check_scheduler_address(text: str) -> str:
    """``text`` if it has the form of a Dask scheduler's address (see
    :data:`SCHEDULER_FORMS`, or another of :data:`PROTOCOLS`), else a ValueError that
    names the problem and the fix: what ``--scheduler`` accepts.  The form
    only: whether a scheduler answers there is for the connection to tell."""
    if text == LOCAL:
        return text
    scheme, sep, parts = _split_address(text)
    host, port = parts.hostname, parts.port
    if not text.strip():
        problem = "an empty address"
    elif any(c.isspace() for c in text):
        problem = f"{text!r} contains a space"
    elif scheme in ("http", "https"):
        raise ValueError(
            f"{text!r} is the address of a web page, such as the Dask dashboard's; the "
            f"scheduler's is the tcp:// address that `dask scheduler` prints, usually port "
            f"{SCHEDULER_PORT}: tcp://{host or 'HOST'}:{SCHEDULER_PORT}")
    elif scheme not in PROTOCOLS:
        problem = (f"{text!r} uses the protocol {scheme}://, not one a sweep reaches a "
                   f"scheduler with ({', '.join(p + '://' for p in PROTOCOLS)})")
    elif not sep and ":" not in text and difflib.get_close_matches(text.lower(), [LOCAL],
                                                                   cutoff=0.75):
        raise ValueError(f"{text!r} is not an address: did you mean {LOCAL!r} (a Dask "
                         f"LocalCluster on this machine)? Else give {SCHEDULER_FORMS}")
    elif not host:
        problem = f"{text!r} names no host"
    elif port is None:
        raise ValueError(f"{text!r} has no port; expected {SCHEDULER_FORMS}, such as "
                         f"{scheme}://{host}:{SCHEDULER_PORT} (the scheduler's usual port)")
    elif port == 0:
        problem = f"{text!r} has port 0, where nothing can be reached"
    elif parts.path or parts.query or parts.fragment or parts.username or parts.password:
        problem = f"{text!r} has more than a host and a port"
    else:
        return text
    raise ValueError(f"{problem}; expected {SCHEDULER_FORMS}")


class ClusterError(RuntimeError):
    """The Dask backend cannot run: Dask is not installed, the scheduler is
    unreachable, or a worker runs other code than the client."""


class WorkerDataError(ClusterError):
    """A Dask worker cannot read the data set (raised on the worker, by
    :func:`_on_worker`, and re-raised on the client)."""


def default_jobs() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Backend:
    """Where a sweep's runs train.

    jobs : the local pool's processes (1: here, one after another); with
        ``scheduler="local"``, the LocalCluster's worker processes.  Ignored
        for a scheduler address (the cluster's workers decide).
    scheduler : None (the local pool), ``"local"`` or a Dask scheduler's
        address such as ``"tcp://10.0.0.5:8786"``.
    dataset, data_dir : the data set the runs read with
        :func:`experiments.datasets.load`, which the client sends to Dask
        workers when ``data_from == "client"``.
    data_from : ``"client"`` or ``"workers"`` (see the module docstring).
    """

    jobs: int = 1
    scheduler: str | None = None
    dataset: str = "mnist"
    data_dir: str | os.PathLike | None = None
    data_from: str = "client"

    def __post_init__(self) -> None:
        if self.data_from not in DATA_FROM:
            raise ValueError(f"data_from must be one of {DATA_FROM}, got {self.data_from!r}")
        if self.scheduler is not None:
            check_scheduler_address(self.scheduler)
            require_distributed()

    def describe(self, runs: int) -> str:
        """How ``runs`` runs will train, for a progress line."""
        if self.scheduler is None:
            return report.plural(min(self.jobs, max(runs, 1)), "process", "processes")
        if self.scheduler == LOCAL:
            return f"a Dask LocalCluster of {report.plural(min(self.jobs, max(runs, 1)), 'worker')}"
        return f"the Dask cluster at {self.scheduler}"


def backend(args: argparse.Namespace) -> Backend:
    """The backend an experiment's flags ask for (``--jobs``, ``--scheduler``,
    ``--data-from``, ``--dataset``, ``--data-dir``; those a script lacks take
    their defaults)."""
    return Backend(jobs=args.jobs, scheduler=getattr(args, "scheduler", None),
                   dataset=getattr(args, "dataset", "mnist"),
                   data_dir=getattr(args, "data_dir", None),
                   data_from=getattr(args, "data_from", "client"))


def run_all(fn: Callable[[Any], Any], tasks: Sequence[Any],
            backend: Backend | int) -> Iterator[Any]:
    """Yield ``fn(task)`` for every task, in order of completion, computed on
    ``backend`` (a number ``n`` stands for the local pool ``Backend(jobs=n)``).
    ``fn`` must be a module-level function and must seed all its randomness
    from its task, so that results do not depend on the backend.

    Raises :class:`ClusterError` when the Dask backend cannot run."""
    if not isinstance(backend, Backend):
        backend = Backend(jobs=backend)
    if backend.scheduler is not None:
        yield from _dask(fn, tasks, backend)
    elif backend.jobs <= 1 or len(tasks) <= 1:
        # One BLAS thread here too: a product's sum can be split between
        # threads in another order, which changes its last bits.
        with threadpool_limits(limits=1, user_api="blas"):
            for task in tasks:
                yield fn(task)
    else:
        yield from _pool(fn, tasks, backend.jobs)


@contextmanager
def resumable(saved: Callable[[], tuple[int, int]], folder: Path) -> Iterator[None]:
    """Around a sweep script's work: Ctrl-C prints one line, ``interrupted:
    9 of 18 runs saved in FOLDER; rerun the same command to resume``, where
    ``saved()`` gives (runs saved, runs in all), counted when Ctrl-C comes,
    and exits with code 130 (128 + SIGINT, the shell's convention); a
    :class:`ClusterError` prints ``error: ...`` and exits with code 2.  No
    traceback either way."""
    try:
        yield
    except KeyboardInterrupt:
        done, total = saved()
        print(f"interrupted: {done} of {report.plural(total, 'run')} saved in {folder}; rerun "
              f"the same command to resume", file=sys.stderr, flush=True)
        raise SystemExit(128 + signal.SIGINT) from None
    except ClusterError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


# ---- a sweep: its runs, records, checkpoints, and its main ----------------------


@dataclass(frozen=True)
class Run:
    """One run of a sweep.

    key : the script's name for it, e.g. ``(init, seed)``: the sweep's result
        is a dict of records by key.
    config : everything that determines its numbers (its record's ``config``).
    path : where its record goes, ``OUT/runs/NAME.json``; its checkpoint goes
        to :func:`experiments.checkpoints.path_for` ``(path)``.
    name : how progress lines name it, e.g. ``"randn seed 0"``.
    """

    key: Hashable
    config: dict
    path: Path
    name: str


def saved(runs: Sequence[Run], read: Callable[[Run], dict | None]) -> dict[Hashable, dict]:
    """The records already saved for ``runs`` (``read(run)``, ``None`` if
    there is none fit to reuse), by key."""
    found = {}
    for run in runs:
        record = read(run)
        if record is not None:
            found[run.key] = record
    return found


def sweep(args: argparse.Namespace, train: Callable[[dict], dict], runs: Sequence[Run],
          read: Callable[[Run], dict | None], check_data: Callable[[], Any], *,
          summary: Callable[[dict], str] | None = None, doing: str = "to train with",
          cost: Callable[[dict], float] | None = None) -> dict[Hashable, dict]:
    """Reuse the saved records of ``runs`` and train the others with
    ``train(task)`` on the backend ``args`` ask for; return every record by key.

    Before any progress line, ``check_data()`` (the script's loader) fails
    with the loader's message if the data cannot be found here (unless Dask
    workers read it themselves).  Each task is ``{"config", "data_dir",
    "label", "checkpoint"}``: ``train`` saves the run's checkpoint after every
    epoch to that path (:class:`experiments.checkpoints.Training`), which is
    removed here once the record is written.  Each finished run gets one line:
    ``done NAME: summary(record); ... about 12 min left``, the estimate from
    the finished runs' ``wall_seconds`` per unit of ``cost(config)`` (by
    default epochs x training images x weights)."""
    done = saved(runs, read)
    todo = [run for run in runs if run.key not in done]
    backend_ = backend(args)
    if todo and not (backend_.scheduler and backend_.data_from == "workers"):
        check_data()  # now, once, rather than in every worker, later
    report.progress(f"{report.plural(len(runs), 'run')}: {len(done)} reused from "
                    f"{args.out / 'runs'}, {len(todo)} "
                    f"{doing} {backend_.describe(len(todo))}")
    tasks = [{"config": run.config, "data_dir": args.data_dir,
              "label": f"[run {i}/{len(todo)} {run.name}]",
              "checkpoint": str(checkpoints.path_for(run.path))}
             for i, run in enumerate(todo, 1)]
    by_config = {records.config_key(run.config): run for run in todo}
    clock = _Clock(cost or _cost, backend_, [run.config for run in todo])
    for record in run_all(train, tasks, backend_):
        run = by_config[records.config_key(record["config"])]
        records.write_json(run.path, record)  # here, by the client, as it arrives
        checkpoints.remove(checkpoints.path_for(run.path))
        done[run.key] = record
        report.progress(f"done {run.name}" + (f": {summary(record)}" if summary else "")
                        + clock.finished(record))
    if todo:
        report.progress(f"trained {report.plural(len(todo), 'run')} in "
                        f"{clock.elapsed():.1f} s")
    return {run.key: done[run.key] for run in runs}


def _cost(config: dict) -> float:
    """A run's work, roughly: epochs x training images x weights."""
    sizes = config.get("sizes", [1, 1])
    return (max(1, config.get("epochs", 1)) * config.get("train_size", 1)
            * sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))


class _Clock:
    """The time a sweep has left, from the runs finished so far."""

    def __init__(self, cost: Callable[[dict], float], backend: Backend, configs: list[dict]):
        self.cost, self.backend, self.start = cost, backend, time.perf_counter()
        self.left = sum(cost(c) for c in configs)
        self.runs_left = len(configs)
        self.worked = self.seconds = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def finished(self, record: dict) -> str:
        """``"; 3 runs left, about 12 min"`` (nothing after the last run, or
        when the record has no wall time)."""
        work = self.cost(record["config"])
        self.left, self.runs_left = self.left - work, self.runs_left - 1
        wall = record.get("wall_seconds", record.get("seconds"))
        if not self.runs_left or not isinstance(wall, int | float) or work <= 0:
            return ""
        self.worked, self.seconds = self.worked + work, self.seconds + wall
        if self.backend.scheduler in (None, LOCAL):
            parallel = self.backend.jobs
        else:  # a cluster of unknown size: as many at once as seen so far
            parallel = max(1, round(self.seconds / self.elapsed()))
        left = self.seconds / self.worked * self.left / min(parallel, self.runs_left)
        return f"; {report.plural(self.runs_left, 'run')} left, about {duration(left)}"


def duration(seconds: float) -> str:
    """``"40 s"``, ``"12 min"``, ``"3.5 h"``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def main(name: str, argv: Sequence[str] | None,
         parse_args: Callable[[Sequence[str]], argparse.Namespace],
         runs: Callable[[argparse.Namespace], Sequence[Run]], read: Callable[[Run], dict | None],
         work: Callable[[argparse.Namespace, str], Any]) -> int:
    """A sweep script's ``main``: parse ``argv`` (default: the command line's),
    then ``work(args, command)`` (the sweep, the figures, the tables; ``command``
    is the call, for their captions) inside :func:`resumable`, whose Ctrl-C
    line counts the records of ``runs(args)`` that ``read`` finds; then the
    total time.  Returns the exit status, 0."""
    from experiments import cli  # cli imports this module

    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)

    def count() -> tuple[int, int]:
        every = runs(args)
        return len(saved(every, read)), len(every)

    with resumable(count, args.out / "runs"):
        start = time.perf_counter()
        work(args, cli.command_line(f"experiments.{name}", argv))
        report.progress(f"total {time.perf_counter() - start:.1f} s")
    return 0


# ---- the local pool ---------------------------------------------------------


def _init_pool_worker(parent: int) -> None:
    _setup_worker(ignore_ctrl_c=True)
    _exit_with_parent(parent)


def _setup_worker(ignore_ctrl_c: bool) -> None:
    """One BLAS thread for the rest of this worker process's life.  With
    ``ignore_ctrl_c`` (workers the sweep started itself), Ctrl-C, which
    reaches every process of the terminal's group, is left to the sweep,
    which stops its workers (rather than a traceback from each)."""
    threadpool_limits(limits=1, user_api="blas")
    if ignore_ctrl_c and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_with_parent(parent: int) -> None:
    """Make this worker exit once the sweep that started it is gone.

    A ``kill`` of the sweep alone would leave the workers to finish their
    runs for nobody (and to compete with the rerun that resumes the sweep).
    The client writes the records, and each run its checkpoint after every
    epoch, so exiting at any moment loses no more than the epochs under way."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def _pool(fn: Callable[[Any], Any], tasks: Sequence[Any], jobs: int) -> Iterator[Any]:
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)),
                               mp_context=get_context("spawn"),
                               initializer=_init_pool_worker, initargs=(os.getpid(),))
    try:
        futures = [pool.submit(fn, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()
    except BaseException:
        # Stop the runs under way rather than wait for them (Python 3.14's
        # terminate_workers() does this; before it, the pool's own list).
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ---- Dask ---------------------------------------------------------------------


def require_distributed():
    """``distributed``, or a :class:`ClusterError` that says what to install."""
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--scheduler needs Dask's distributed, which is not installed: "
                           f"{INSTALL}") from None
    return distributed


def _worker_setup_plugin(ignore_ctrl_c: bool):
    distributed = require_distributed()

    class SetupWorker(distributed.WorkerPlugin):
        """:func:`_setup_worker` on every worker of the cluster, now and on
        any that joins later.  Ctrl-C is left alone on workers that someone
        started with ``dask worker``: it is how they stop them."""

        def setup(self, worker) -> None:
            _setup_worker(ignore_ctrl_c)

    return SetupWorker()


@contextmanager
def _client(backend: Backend, workers: int):
    """A ``distributed.Client`` of the backend's cluster, closed afterwards."""
    distributed = require_distributed()
    cluster = None
    try:
        if backend.scheduler == LOCAL:
            import logging

            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
            address = cluster.scheduler_address
        else:
            address = backend.scheduler
            _check_scheduler(address)
        client = _connect(distributed, address)
        try:
            try:
                # By name, so a sweep reconnecting to the same cluster replaces it.
                client.register_plugin(_worker_setup_plugin(cluster is not None),
                                       name="nndl-init-worker-setup")
            except Exception as e:  # raised on a worker, re-raised here as text
                raise ClusterError(f"the workers of {address} could not be set up ({e}); "
                                   f"{_NEEDS}") from None
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def _cannot_reach(address: str, why: str, fix: str | None = None) -> ClusterError:
    return ClusterError(
        f"cannot reach a Dask scheduler at {address!r} within {CONNECT_TIMEOUT:g} s ({why}); "
        + (fix or "start one with `dask scheduler` and workers with `dask worker ADDRESS`, "
                  "or use --scheduler local"))


_NOT_DASK = ("whatever listens there does not look like a Dask scheduler", "give the "
             "tcp:// address that `dask scheduler` prints (usually port 8786), or use "
             "--scheduler local")


def _check_scheduler(address: str) -> None:
    """Ask whatever listens at ``address`` who it is, before a Client does:
    a :class:`ClusterError` within about :data:`CONNECT_TIMEOUT` unless a Dask
    server answers that is not a worker.

    Why a check of our own: ``Client(address, timeout=...)`` bounds the TCP
    connection but not Dask's handshake after it, so a server that accepts
    and says nothing (a web server, the Dask dashboard) makes it wait
    forever, and one that speaks first (an SSH banner) makes Dask's decoder
    read its bytes as a frame length and fail with a huge MemoryError."""
    _judge_identity(address, _ask_identity(address))


def _ask_identity(address: str) -> Any:
    """The answer to an ``identity`` request at ``address`` (a dict from a
    Dask server), or the exception it ended with (a ``TimeoutError`` for
    silence).

    Distributed's own ``connect`` and the request run in a thread of their
    own under ``asyncio.wait_for``, which cancels a silent read; the thread
    is joined with a timeout too, because what ``wait_for`` cannot cancel (a
    slow DNS lookup in an executor thread) would otherwise delay the end of
    ``asyncio.run``.  The thread is a daemon: if it is still stuck, it does
    not keep the process alive."""
    from distributed.comm import connect
    from distributed.security import Security

    args = Security().get_connection_args("client")  # TLS settings from Dask's config, as Client

    async def identity() -> Any:
        comm = await connect(address, timeout=CONNECT_TIMEOUT, **args)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    answers: list = []

    def ask() -> None:
        # A second more than connect's own timeout: a TCP connection that
        # cannot be made ends with connect's OSError, so a TimeoutError here
        # means that something accepted the connection and did not answer.
        try:
            answers.append(asyncio.run(asyncio.wait_for(identity(), CONNECT_TIMEOUT + 1)))
        except BaseException as e:
            answers.append(e)

    thread = threading.Thread(target=ask, daemon=True, name="ask-the-scheduler")
    thread.start()
    thread.join(CONNECT_TIMEOUT + 2)
    return answers[0] if answers else TimeoutError()


def _judge_identity(address: str, answer: Any) -> None:
    """A :class:`ClusterError` naming what answered at ``address``, unless
    ``answer`` is a Dask scheduler's identity."""
    from distributed.comm import CommClosedError

    if isinstance(answer, TimeoutError):  # before OSError, its base class
        raise _cannot_reach(address, "it accepted the connection but gave no Dask answer: "
                            + _NOT_DASK[0], _NOT_DASK[1])
    if isinstance(answer, OSError) and not isinstance(answer, CommClosedError):
        raise _cannot_reach(address, f"{type(answer).__name__}: {answer}")  # refused, no route
    if not isinstance(answer, dict):
        # A banner or any other bytes, read as Dask frames: a MemoryError for
        # a "length" of exabytes, a decoding error, a closed connection.
        raise _cannot_reach(address, f"it answered, but not as Dask does: {_NOT_DASK[0]}",
                            _NOT_DASK[1])
    if answer.get("type") in ("Worker", "Nanny"):
        raise _cannot_reach(address, f"that is a Dask {answer['type'].lower()}, not the "
                            f"scheduler", _NOT_DASK[1])


def _connect(distributed, address: str):
    """``distributed.Client(address)``, or a :class:`ClusterError`.

    A Client whose constructor raises is left half made, reachable only from
    the traceback, and its ``__del__`` at exit waits twice the timeout for an
    event loop that has stopped, then prints a traceback: close it now,
    while its loop runs, with a short timeout."""
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except Exception as e:
        for frame, _ in traceback.walk_tb(e.__traceback__):
            half_made = frame.f_locals.get("self")
            if isinstance(half_made, distributed.Client):
                with suppress(Exception):
                    half_made.close(timeout=2)
                break
        raise _cannot_reach(address, f"{type(e).__name__}: {e}") from None


def _dask(fn: Callable[[Any], Any], tasks: Sequence[Any], backend: Backend) -> Iterator[Any]:
    """``fn`` of each task on the Dask cluster, yielded as they finish; the
    data scattered from here first when ``backend.data_from`` is "client"."""
    distributed = require_distributed()
    if not tasks:
        return
    fn = _importable(fn)
    expected = code_version(fn)
    with _client(backend, min(backend.jobs, len(tasks))) as client:
        sent = _scatter_data(client, backend) if backend.data_from == "client" else None
        futures = [client.submit(_on_worker, fn, task, sent, backend.dataset, pure=False,
                                 retries=RETRIES,
                                 key=f"{fn.__module__}.{fn.__name__}-{uuid.uuid4().hex}")
                   for task in tasks]
        try:
            for future in distributed.as_completed(futures, loop=client.loop):
                yield _result(distributed, future, fn, expected)
        except BaseException:
            client.cancel(futures)
            raise
        if sent is not None:
            # The workers may outlive the sweep: let them free the data.
            with suppress(Exception):
                client.run(datasets.forget_received)


def _scatter_data(client: Any, backend: Backend) -> Any:
    """The dataset's raw arrays, sent from here to every worker once: the
    future that names them."""
    raw = datasets.raw_arrays(backend.dataset, backend.data_dir)
    [sent] = client.scatter([(backend.dataset, raw)], broadcast=True)
    return sent


def _result(distributed: Any, future: Any, fn: Callable[[Any], Any], expected: Any) -> Any:
    """A finished task's result, its future released; a :class:`ClusterError`
    saying what went wrong on the worker, or that it runs other code."""
    try:
        where, code, result = future.result()
    except ClusterError:  # WorkerDataError: its message is the whole story
        raise
    except ImportError as e:
        raise ClusterError(f"a worker cannot import the sweep's code ({e}); "
                           f"{_NEEDS}") from None
    except RuntimeError as e:
        if "deserializ" not in str(e):
            raise
        raise ClusterError(f"the scheduler or a worker cannot read the sweep's "
                           f"tasks; {_NEEDS}") from None
    except distributed.KilledWorker as e:
        raise ClusterError(f"a run ended every worker that ran it (out of "
                           f"memory?), and Dask gave up: {e}") from None
    if not records.same_code(code, expected):
        raise ClusterError(
            f"the worker at {where} runs other code than this machine "
            f"(code {code}, here {expected}: its numbers or "
            f"{fn.__module__}'s RUN_CODE_VERSION differ); {_NEEDS}")
    future.release()
    return result


def _on_worker(fn: Callable[[Any], Any], task: Any, sent: tuple | None,
               dataset: str = "mnist") -> tuple:
    """What a Dask worker runs: ``fn(task)``, on the data the client sent if
    it did; returns where it ran and its :func:`code_version` with the result.

    Raises :class:`WorkerDataError` when the worker cannot read ``dataset``
    (``--data-from workers``): one line, naming the worker and the fixes a
    user of the command line has, rather than the loader's several lines
    about ``data_dir=`` for a Python caller on this machine."""
    import distributed

    where = distributed.get_worker().address
    if sent is not None:
        datasets.receive(*sent)
    try:
        result = fn(task)
    except mnist_loader.DataError as e:
        raise WorkerDataError(_data_problem(where, dataset, e)) from None
    return where, code_version(fn), result


def _data_problem(where: str, dataset: str, error: mnist_loader.DataError) -> str:
    """One line: the loader's first sentence, and how a sweep gives workers data."""
    first = error.for_command_line().splitlines()[0].split(". ")[0].rstrip(".")
    return (f"the worker at {where} cannot read the {mnist_loader.TITLES[dataset]} data "
            f"({first}); give the workers the data with --data-dir DIR (a folder every "
            f"worker can read), ${datasets.ENV_VARS[dataset]} set on each worker, or "
            f"--data-from client (sent from here)")


def _importable(fn: Callable) -> Callable:
    """``fn`` as its module's function when it comes from a script run as
    ``python -m package.module``: workers then import it by name, as the
    client does, rather than receive a copy of its code."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    if fn.__module__ == "__main__" and spec is not None and spec.name:
        return getattr(importlib.import_module(spec.name), fn.__qualname__)
    return fn


def code_version(fn: Callable) -> str:
    """The stamp a worker returns with ``fn``'s result, compared with the
    client's: the numerical fingerprint of :func:`experiments.records.code_version`
    (equal on any CPU for code that computes the same numbers) and, unless
    ``fn`` comes from ``__main__`` (whose functions travel as code), its
    module's ``RUN_CODE_VERSION``, the integer a sweep script bumps by hand
    when what a run computes from those numbers changes."""
    text = records.code_version()
    if fn.__module__ != "__main__":
        module = sys.modules[fn.__module__]
        text += f" {fn.__module__} {getattr(module, 'RUN_CODE_VERSION', None)}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]
