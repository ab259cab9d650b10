"""nndl.persistence
~~~~~~~~~~~~~~~~~~

Saving and loading networks, never with pickle: a file from elsewhere is
data, not code.  Two formats of ours, chosen by the file's name on saving and
by its content on loading:

* ``.npz``: NumPy arrays ``w0, b0, w1, ...`` and a JSON ``meta`` string
  (sizes, activation, cost, dtype, init, seed);
* ``.json``: the same settings, with the arrays as nested lists;

and the book's ``network2.save()`` JSON (``sizes``, ``weights``, ``biases``,
``cost`` as a class name), which both ``network`` and ``network2`` read.
Every file is written atomically (:func:`nndl.files.write_atomic`).
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from nndl import parameters
from nndl.files import write_atomic

FORMAT = "nndl-init network"


def save(net, path: str | os.PathLike) -> None:
    """Save ``net``'s sizes, settings, weights and biases to ``path``: JSON
    when it ends in ``.json``, ``.npz`` when it ends in ``.npz``; any other
    name is a ``ValueError`` (a ``.pkl`` name would promise a pickle).  The
    parameters are checked first (no NaN is saved)."""
    path = Path(path)
    if path.suffix.lower() not in (".npz", ".json"):
        raise ValueError(f"save: {str(path)!r} must end in .npz (NumPy arrays) or .json; "
                         f"for example {str(path.with_suffix('.npz'))!r}")
    parameters.check(net)
    meta = {"format": FORMAT, "version": 1, "sizes": net.sizes,
            "activation": net.activation, "cost": net.cost, "dtype": net.dtype.name,
            "init": net.init, "seed": net.seed}
    if path.suffix.lower() == ".json":
        meta["weights"] = [w.tolist() for w in net.weights]
        meta["biases"] = [b.tolist() for b in net.biases]
        write_atomic(path, lambda f: f.write(json.dumps(meta).encode()))
    else:
        arrays = {f"w{l}": w for l, w in enumerate(net.weights)}
        arrays |= {f"b{l}": b for l, b in enumerate(net.biases)}
        arrays["meta"] = np.array(json.dumps(meta))
        write_atomic(path, lambda f: np.savez(f, **arrays))


def save_network2(face, path: str | os.PathLike) -> None:
    """Save ``network2.Network`` ``face`` in the book's JSON format: ``sizes``,
    ``weights`` and ``biases`` as nested lists, ``cost`` as the class name; a
    float32 network adds ``"dtype": "float32"``, which the book ignores.
    Floats keep every digit (``json`` writes ``repr``)."""
    data = {"sizes": face.sizes,
            "weights": [w.tolist() for w in face.weights],
            "biases": [b.tolist() for b in face.biases],
            "cost": face.cost.__name__}
    if face.network.dtype != np.float64:
        data["dtype"] = face.network.dtype.name
    write_atomic(path, lambda f: f.write(json.dumps(data).encode()))


def load(cls, path: str | os.PathLike):
    """A ``cls`` (``network.Network``) loaded from a file of :func:`save` or of
    the book's ``network2.save()``, whatever the file is called: a zip is
    ``.npz``, anything else must be JSON.  The arrays are checked (shapes,
    dtype, finiteness) as a network's parameters."""
    path = Path(path)
    meta, weights, biases = _read(path)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a saved nndl-init network")
    net = cls(meta["sizes"], init="zeros", activation=meta["activation"],
              cost=meta["cost"], dtype=meta["dtype"])
    net.init, net.seed = meta.get("init"), meta.get("seed")
    n = net.num_layers - 1
    if not (isinstance(weights, list) and isinstance(biases, list)
            and len(weights) == len(biases) == n):
        raise ValueError(f"{path}: expected lists of {n} weight matrices and {n} bias "
                         f"vectors for sizes {net.sizes}")
    for l, (w, b) in enumerate(zip(weights, biases)):  # shapes, dtype and finiteness
        net.weights[l] = parameters.as_param(w, net.weights[l].shape, net.dtype,
                                             f"{path}: weights[{l}]")
        net.biases[l] = parameters.as_param(b, net.biases[l].shape, net.dtype,
                                            f"{path}: biases[{l}]")
    return net


def _read(path: Path) -> tuple[dict, list, list]:
    """``(meta, weights, biases)`` from a ``.npz`` or a JSON file."""
    if zipfile.is_zipfile(path):
        try:
            with np.load(path, allow_pickle=False) as f:
                _check_arrays(path, f.files)
                meta = json.loads(str(f["meta"]))
                n = len(meta["sizes"]) - 1
                return meta, [f[f"w{l}"] for l in range(n)], [f[f"b{l}"] for l in range(n)]
        except (zipfile.BadZipFile, zlib.error) as error:  # a damaged or cut-off file
            raise ValueError(f"{path}: the file is damaged ({error}); save the network again "
                             f"(net.save(path))") from None
    meta = _read_json(path)
    weights, biases = meta.get("weights"), meta.get("biases")
    if "format" not in meta:
        meta = _network2_meta(meta, path)
    return meta, weights, biases


def _check_arrays(path: Path, names: list[str]) -> None:
    """Refuse an ``.npz`` that ``Network.save`` did not write, naming what it
    holds: ``save`` writes ``meta`` (the settings, as JSON), then ``w0``,
    ``b0``, ``w1``, ... per layer."""
    if "meta" not in names or "w0" not in names or "b0" not in names:
        raise ValueError(f"{path}: not a network saved by network.Network.save (it holds "
                         f"arrays {', '.join(names) or 'none'}; save writes meta, w0, b0, w1, "
                         f"b1, ...); load your own arrays with np.load and pass "
                         f"(weights, biases) lists instead")


def _read_json(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{path}: not a saved network (neither .npz nor JSON)") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: not a saved nndl-init network")
    return meta


def _network2_meta(meta: dict, path: Path) -> dict:
    """The settings of a file written by the book's ``network2.save()``: its
    network is sigmoid throughout, its arrays float64 (unless our ``network2``
    recorded another ``dtype``), and its ``cost`` is a class name."""
    if not {"sizes", "weights", "biases", "cost"} <= meta.keys():
        raise ValueError(f"{path}: not a saved nndl-init network, nor a network2.save() file "
                         f"(which holds sizes, weights, biases and cost)")
    return {"format": FORMAT, "sizes": meta["sizes"], "activation": "sigmoid",
            "cost": meta["cost"], "dtype": meta.get("dtype", "float64"), "init": None,
            "seed": None}
