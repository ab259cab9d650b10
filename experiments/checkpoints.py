"""experiments.checkpoints
~~~~~~~~~~~~~~~~~~~~~~~~~

A run in flight, saved after every epoch, so that a sweep killed mid-run
(Ctrl-C, ``kill -9``, a Dask worker that dies) resumes each unfinished run
from its last whole epoch instead of from epoch 1, and ends with the record
an uninterrupted run would have written, bit for bit (on the same machine:
see the module docstring of :mod:`experiments.runner`).

Between two epochs a run's state is small and complete: the weights and
biases, the state of the network's random generator (the next epoch's
shuffle draws from it), the history measured so far and whatever the script
measures per epoch besides (its ``extra``).  A checkpoint holds exactly that,
in one ``.npz`` file written atomically (:func:`nndl.files.write_atomic`):

* ``weights_0``, ``biases_0``, ... : the arrays, in their dtype and memory
  order (``np.save`` keeps both), so training continues on the same bits;
* ``meta``: the rest as JSON text (UTF-8 bytes in a ``uint8`` array): the
  format, the run's configuration key and code version (a checkpoint of
  another run or of other code is *foreign* and not used), the epochs done,
  the history lists, ``extra``, ``rng.bit_generator.state`` (its integers
  are exact in JSON), and the run's wall and CPU seconds so far.

It is read with ``np.load(..., allow_pickle=False)``: nothing is unpickled.
A checkpoint that cannot be read, or is foreign, is reported in one line on
the standard error and the run starts again from epoch 1.

:class:`Training` is what a sweep's ``train(task)`` uses: it restores the
network from the task's checkpoint if there is one, gives ``SGD`` the
callback that saves a checkpoint after each epoch, and gathers the history
over the resumed parts.  The sweep (:func:`experiments.runner.sweep`) names
the checkpoint's path in the task and removes the file once the run's record
is written.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import network
from experiments import records
from nndl.files import write_atomic

FORMAT = "nndl-init checkpoint"
VERSION = 1
FOLDER = "checkpoints"  # in a sweep's --out, beside runs/


def path_for(record_path: Path) -> Path:
    """Where the checkpoint of the run whose record goes to ``record_path``
    (``OUT/runs/NAME.json``) is kept: ``OUT/checkpoints/NAME.npz``."""
    return record_path.parent.parent / FOLDER / (record_path.stem + ".npz")


def remove(path: Path) -> None:
    """Remove a checkpoint (its run's record is written), any temporary file
    of it that a kill mid-write left, and the folder once empty."""
    path.unlink(missing_ok=True)
    for stray in path.parent.glob(f".{path.name}.*.tmp"):  # write_atomic's names
        stray.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError:  # not empty (other runs in flight), or already gone
        pass


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")  # one write: lines of two workers never mix
    sys.stderr.flush()


class Checkpoint:
    """The checkpoint file of one run.

    path : the ``.npz`` file.
    key : the run's configuration key (:func:`experiments.records.config_key`).
    code : the version of the code that makes the run's numbers (the one its
        record is stamped with).
    """

    def __init__(self, path: str | Path, key: str, code: str) -> None:
        self.path, self.key, self.code = Path(path), key, code

    def save(self, net: network.Network, state: dict[str, Any]) -> None:
        """Write ``net``'s weights, biases and generator state and the JSON
        ``state`` (epochs done, history, ...), atomically."""
        meta = {"format": FORMAT, "version": VERSION, "key": self.key, "code": self.code,
                "layers": len(net.weights), "rng": net.rng.bit_generator.state, **state}
        arrays = {f"weights_{l}": w for l, w in enumerate(net.weights)}
        arrays.update({f"biases_{l}": b for l, b in enumerate(net.biases)})
        # JSON's NaN and Infinity (a diverged run's costs) are read back by
        # Python's json as they were written.
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        write_atomic(self.path, lambda f: np.savez(f, **arrays))

    def load(self, net: network.Network) -> dict[str, Any] | None:
        """Put the checkpoint into ``net`` (weights, biases, generator) and
        return its JSON state; ``None`` when there is no checkpoint, or when
        it cannot be read or is foreign (then one line on the standard error
        says so, and ``net`` is untouched)."""
        if not self.path.exists():
            return None
        try:
            meta, weights, biases = self._read()
            problem = self._foreign(meta, net, weights, biases)
            if not problem:
                # A generator of net's kind; the seed is irrelevant, its state replaced.
                rng = np.random.Generator(type(net.rng.bit_generator)(0))
                rng.bit_generator.state = meta["rng"]
        except Exception as e:  # any damage: a cut file, a bad zip, bad JSON, a bad state
            problem = f"cannot be read ({type(e).__name__}: {e})"
        if problem:
            _say(f"checkpoint {self.path} {problem}: ignored, the run starts again from epoch 1")
            return None
        net.weights, net.biases, net.rng = weights, biases, rng
        return meta

    def _read(self) -> tuple[dict, list[np.ndarray], list[np.ndarray]]:
        with np.load(self.path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            layers = int(meta["layers"])
            return (meta, [z[f"weights_{l}"] for l in range(layers)],
                    [z[f"biases_{l}"] for l in range(layers)])

    def _foreign(self, meta: dict, net: network.Network, weights: list, biases: list) -> str:
        """Why the checkpoint is not this run's, or ``""``."""
        if (meta.get("format"), meta.get("version")) != (FORMAT, VERSION):
            return "is not a checkpoint of this version"
        if meta.get("key") != self.key:
            return f"is of another run (configuration key {meta.get('key')}, not {self.key})"
        if meta.get("code") != self.code:
            return f"was made by other code (code {meta.get('code')}, now {self.code})"
        if not {"epoch", "history", "extra", "seconds"} <= meta.keys():
            return "is incomplete"
        if meta.get("rng", {}).get("bit_generator") != net.rng.bit_generator.state[
                "bit_generator"]:
            return "holds another kind of random generator"
        shapes = [(y, x) for y, x in zip(net.sizes[1:], net.sizes[:-1])]
        if ([w.shape for w in weights] != shapes or [b.shape for b in biases]
                != [(y, 1) for y, _ in shapes]
                or any(a.dtype != net.dtype for a in [*weights, *biases])):
            return "holds arrays of other shapes or dtype than the network's"
        return ""


class Training:
    """A run's training, resumable: epochs done, the history so far, the
    script's own per-epoch ``extra`` (JSON), saved after every epoch.

    Made from the sweep's task: ``task["checkpoint"]`` names the file (no
    key: no checkpoints, as when a test calls ``train`` directly), and
    ``task["config"]`` gives the key.  ``code`` is the version the run's
    record is stamped with.  ``net`` is restored at once if a checkpoint of
    this run exists.

    Use: ``net.SGD(data, training.left(epochs), ..., callback=training.callback(show))``,
    then build the record from ``training.history`` (a :class:`network.History`
    over every epoch, the resumed ones included), ``training.extra`` and
    ``training.wall_seconds()``: a resumed run's record is then the
    uninterrupted run's, but for its timings.  A script that
    trains an epoch by other means calls :meth:`epoch_done` after it.
    """

    def __init__(self, net: network.Network, task: dict, code: str,
                 extra: dict[str, Any] | None = None) -> None:
        self.net = net
        self.label = task.get("label", "")
        path = task.get("checkpoint")
        self.checkpoint = (None if path is None else
                           Checkpoint(path, records.config_key(task["config"]), code))
        self.epoch, self.history, self.extra = 0, network.History(), extra or {}
        self._before = {"wall": 0.0, "cpu": 0.0}
        self._start = {"wall": time.perf_counter(), "cpu": time.process_time()}
        state = None if self.checkpoint is None else self.checkpoint.load(net)
        if state is not None:
            self.epoch = state["epoch"]
            self.history = network.History(**state["history"])
            self.extra = state["extra"]
            self._before = state["seconds"]
            _say(f"{self.label} resumed after epoch {self.epoch} from {self.checkpoint.path}")

    def left(self, epochs: int) -> int:
        """How many of ``epochs`` are still to train."""
        return max(0, epochs - self.epoch)

    def callback(self, then: Callable | None = None) -> Callable:
        """An ``SGD`` callback: keeps the epoch's figures, calls
        ``then(epoch, net, history)`` with ``epoch`` counted over the whole
        run (from 0, as ``SGD``), then saves the checkpoint."""
        def after_epoch(j: int, net: network.Network, history: network.History):
            answer = None if then is None else then(self.epoch, net, history)
            self.epoch_done(history)
            return answer

        return after_epoch

    def epoch_done(self, history: network.History | None = None) -> None:
        """One more epoch is trained: keep ``history``'s last entries (if
        given) and save the checkpoint."""
        self.epoch += 1
        if history is not None:
            for name, values in history.to_dict().items():
                if values:
                    getattr(self.history, name).append(values[-1])
        if self.checkpoint is not None:
            self.checkpoint.save(self.net, {
                "epoch": self.epoch, "history": self.history.to_dict(), "extra": self.extra,
                "seconds": {k: self._before[k] + v for k, v in self._elapsed().items()}})

    def _elapsed(self) -> dict[str, float]:
        return {"wall": time.perf_counter() - self._start["wall"],
                "cpu": time.process_time() - self._start["cpu"]}

    def wall_seconds(self) -> float:
        """The run's wall time, over every part of it (an epoch lost to a kill
        not counted)."""
        return self._before["wall"] + self._elapsed()["wall"]

    def cpu_seconds(self) -> float:
        return self._before["cpu"] + self._elapsed()["cpu"]
