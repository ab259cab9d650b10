"""diagnostics.subject
~~~~~~~~~~~~~~~~~~~

What is diagnosed, in one object: the network's parameters (float64 copies),
the user's own object when it has the book's methods, the sample, and how the
user trains (``eta``, the mini-batch size).  Every check of the user's code,
every probe and every verifier takes a :class:`Subject`, and none changes the
user's object: :meth:`Subject.reference` and :meth:`Subject.user` hand out
fresh copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import network

from .adapter import Model, as_network, book_methods, user_copy
from .data import Sample
from .verify import BOOK_ETA


@dataclass
class Subject:
    """The network and its data, as a diagnosis sees them.

    ``model``: the parameters as float64 copies with the activation and cost;
    ``obj``: the user's object (never changed), ``None`` for lists, files and
    this project's own ``network.Network`` (the reference itself);
    ``sample``: the data (:class:`diagnostics.data.Sample`); ``eta``: the
    learning rate the user trains with, ``None`` when not given;
    ``mini_batch_size``: theirs (default the book's 10); ``lmbda``: chapter
    3's L2 regularization parameter they train with (0: none), and ``n`` the
    training-set size its term ``1 - eta lmbda / n`` divides by (``None``:
    not given, the sample's size).
    """

    model: Model
    obj: Any
    sample: Sample
    eta: float | None
    mini_batch_size: int = 10
    lmbda: float = 0.0
    n: int | None = None

    @property
    def X(self) -> np.ndarray:
        """The inputs as float64 (n, sizes[0])."""
        return np.asarray(self.sample.X, dtype=np.float64)

    @property
    def Y(self) -> np.ndarray:
        """The targets (n, sizes[-1])."""
        return self.sample.Y

    @property
    def step_size(self) -> float:
        """The learning rate to train copies with: the user's, else the book's
        for this cost (:data:`diagnostics.verify.BOOK_ETA`)."""
        return self.eta if self.eta is not None else BOOK_ETA[self.model.cost]

    @property
    def training_size(self) -> int:
        """``n`` of the L2 term: the one given, else the sample's size."""
        return self.n if self.n is not None else len(self.sample.X)

    @property
    def l2(self) -> dict[str, Any]:
        """``lmbda`` and ``n`` as keywords, for the copies that verify a fix
        (:func:`diagnostics.verify.train_reference`): they train as the user
        does, weight decay included."""
        return {"lmbda": self.lmbda, "n": self.training_size}

    @property
    def methods(self) -> list[str]:
        """The book's methods the user's object has (none without one)."""
        return [] if self.obj is None else book_methods(self.obj)

    @property
    def finite(self) -> bool:
        """Whether every weight and bias is finite (copies can train)."""
        return all(np.isfinite(p).all() for p in self.model.weights + self.model.biases)

    def reference(self, seed: int = 0) -> network.Network:
        """A fresh ``network.Network`` with the subject's weights and biases."""
        return as_network(self.model, seed)

    def user(self) -> Any:
        """A fresh deep copy of the user's object."""
        return user_copy(self.obj)
