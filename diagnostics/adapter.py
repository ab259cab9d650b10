"""diagnostics.adapter
~~~~~~~~~~~~~~~~~~~

What to diagnose, read one way: a ``network.Network``, a ``network2.Network``,
a saved network's path, plain ``(weights, biases)`` lists, or any book-style
object (``weights`` and ``biases`` lists in the book's shapes).  The user's
object is never changed: everything here works on copies.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import network
from nndl.activations import ACTIVATIONS
from nndl.checks import check_choice
from nndl.costs import cost_name, output_activation

from .measures import activation


class Model(NamedTuple):
    """What a diagnosis measures: float64 copies of the parameters, the
    activations (hidden and output, names of ``nndl.activations.TABLE``), the
    cost and where the network came from (:func:`model_of` reads one)."""

    weights: list[np.ndarray]  # float64 copies, (sizes[l+1], sizes[l])
    biases: list[np.ndarray]  # float64 copies, (sizes[l+1], 1)
    sizes: list[int]
    activation: str
    output: str
    cost: str
    source: str


# The book's methods a book-style object may have, each run on a deep copy.
BOOK_METHODS = ("feedforward", "backprop", "update_mini_batch", "cost_derivative")


def _settings(net: Any, activation_: str | None, cost: Any) -> tuple[str, str]:
    """The hidden activation and the cost of ``net``: its own ``activation``
    and ``cost`` attributes when it has them (they must then agree with the
    ones given), else the ones given, else the book's chapter 1 (sigmoid,
    quadratic)."""
    own_activation = getattr(net, "activation", None)
    own_cost = getattr(net, "cost", None)
    own_activation = own_activation if isinstance(own_activation, str) else None
    own_cost = None if own_cost is None else cost_name(own_cost)
    if activation_ is not None and own_activation is not None and activation_ != own_activation:
        raise ValueError(f"the network's activation is {own_activation!r}, not {activation_!r}")
    if cost is not None and own_cost is not None and cost_name(cost) != own_cost:
        raise ValueError(f"the network's cost is {own_cost!r}, not {cost_name(cost)!r}")
    return (own_activation or activation_ or "sigmoid",
            own_cost or cost_name(cost or "quadratic"))


def model_of(net: Any, activation_: str | None, cost: Any) -> Model:
    """What to diagnose as float64 copies: ``net`` a network object, any
    book-style object (``weights`` and ``biases`` lists), a saved network's
    path, or plain ``(weights, biases)`` lists."""
    if isinstance(net, str | os.PathLike):
        net, source = _load(Path(net)), f"file {net}"
    elif isinstance(net, tuple | list) and len(net) == 2 and not hasattr(net, "weights"):
        weights, biases = net
        cost_ = cost_name(cost or "quadratic")
        return _from_lists(weights, biases, activation_ or "sigmoid", output_activation(cost_),
                           cost_, "(weights, biases) lists")
    else:
        source = f"{type(net).__module__}.{type(net).__name__}"
    for attribute in ("weights", "biases"):
        if not hasattr(net, attribute):
            raise TypeError(_not_a_network(net))
    hidden, cost_ = _settings(net, activation_, cost)
    model = _from_lists(net.weights, net.biases, hidden, output_activation(cost_), cost_,
                        source)
    sizes = getattr(net, "sizes", None)
    if sizes is not None and list(sizes) != model.sizes:
        raise ValueError(f"the network's sizes {list(sizes)} do not match its weights' "
                         f"shapes, which give {model.sizes}")
    return model


def _not_a_network(net: Any) -> str:
    """Why ``net`` cannot be diagnosed, naming what it holds and how to pass
    its parameters instead."""
    held = sorted(k for k, v in vars(net).items() if not k.startswith("_")
                  and isinstance(v, list | tuple | dict | np.ndarray)) if hasattr(
        net, "__dict__") else []
    name = type(net).__name__
    how = (f"; yours holds {', '.join(held)}: from Python, pass its parameters as lists, "
           f"diagnostics.diagnose(([W1, W2, ...], [b1, b2, ...]), eta=...), each W of shape "
           f"(units, inputs) and each b (units, 1)" if held else "")
    return (f"cannot diagnose this {name}: expected a network (an object with weights and "
            f"biases lists in the book's shapes), a saved network's path, or (weights, biases) "
            f"lists{how}")


def book_methods(net: Any) -> list[str]:
    """Which of the book's methods (:data:`BOOK_METHODS`) ``net`` has, callable."""
    return [name for name in BOOK_METHODS if callable(getattr(net, name, None))]


def user_copy(net: Any) -> Any:
    """A deep copy of the user's object, to run its own methods on: whatever
    they do to their weights, the user's object is left as it was."""
    return copy.deepcopy(net)


def reference(net: Any, *, activation: str | None = None, cost: Any = None,
              seed: int = 0) -> network.Network:
    """A ``network.Network`` computing what ``net`` should: the same weights
    and biases (float64 copies), the activation and cost given, else ``net``'s
    own ``activation`` and ``cost`` attributes, else the book's chapter 1
    (sigmoid hidden layers, quadratic cost).

    ``net`` is anything :func:`diagnostics.diagnose` takes: a network, any
    book-style object (``weights`` and ``biases`` lists in the book's shapes:
    ``weights[l]`` ``(sizes[l+1], sizes[l])``, ``biases[l]`` ``(sizes[l+1], 1)``),
    a saved network's path, or ``(weights, biases)`` lists.  ``net`` is never
    changed.  The copy's generator (shuffling) is seeded with ``seed``.

    Raises ``ValueError`` for shapes that are not a network's.  Non-finite
    weights are copied as they are: the copy's training methods then refuse
    them (``ValueError``), as ``network.Network`` refuses any NaN.
    """
    return as_network(model_of(net, activation, cost), seed)


def as_network(model: Model, seed: int = 0) -> network.Network:
    """A fresh ``network.Network`` holding copies of ``model``'s parameters."""
    net = network.Network(model.sizes, "zeros", seed=seed, activation=model.activation,
                          cost=model.cost)
    net.weights = [w.copy() for w in model.weights]
    net.biases = [b.copy() for b in model.biases]
    return net


def _load(path: Path) -> Any:
    """A saved network, through ``network.Network.load`` (never unpickled)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return network.Network.load(path)
    except (ValueError, KeyError, OSError, EOFError) as error:
        raise ValueError(f"{path}: cannot read it as a saved network (a .npz or .json file "
                         f"from Network.save, or the book's network2.save()): {error}") from None


def _from_lists(weights, biases, hidden: str, output: str, cost: str, source: str) -> Model:
    activation(hidden), activation(output)  # a clear error for an unknown name
    check_choice("hidden activation", hidden, ACTIVATIONS)  # the softmax is an output's
    weights, biases = list(weights), list(biases)
    if not weights or len(weights) != len(biases):
        raise ValueError(f"expected as many weight matrices as bias vectors (at least one), "
                         f"got {len(weights)} and {len(biases)}")
    ws, bs = [], []
    for l, (w, b) in enumerate(zip(weights, biases)):
        w = np.array(w, dtype=np.float64)
        b = np.array(b, dtype=np.float64)
        if w.ndim != 2:
            raise ValueError(f"weights[{l}]: expected a matrix (fan_out, fan_in), got shape "
                             f"{w.shape}")
        if b.shape not in ((w.shape[0], 1), (w.shape[0],)):
            hint = (f"; weights[{l}] looks transposed: the book's layout is (fan_out, fan_in), "
                    f"use weights[{l}].T" if b.size == w.shape[1] else "")
            raise ValueError(f"biases[{l}]: expected shape ({w.shape[0]}, 1) to match "
                             f"weights[{l}] {w.shape}, got {b.shape}{hint}")
        if l and w.shape[1] != ws[-1].shape[0]:
            raise ValueError(f"weights[{l}] {w.shape} does not follow weights[{l - 1}] "
                             f"{ws[-1].shape}: its fan_in must be {ws[-1].shape[0]}")
        ws.append(w)
        bs.append(b.reshape(-1, 1))
    sizes = [ws[0].shape[1]] + [w.shape[0] for w in ws]
    return Model(ws, bs, sizes, hidden, output, cost, source)

