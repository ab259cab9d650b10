"""nndl.history
~~~~~~~~~~~~~

:class:`History`, what ``network.Network.SGD`` measured, epoch by epoch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class History:
    """What ``SGD`` measured, one entry per epoch (a list stays empty when the
    quantity was not measured).  Accuracies are fractions in [0, 1]; costs
    include the L2 term when ``lmbda > 0``; ``seconds`` is the training time of
    the epoch, evaluation excluded."""

    seconds: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    test_cost: list[float] = field(default_factory=list)
    evaluation_accuracy: list[float] = field(default_factory=list)
    evaluation_cost: list[float] = field(default_factory=list)
    training_accuracy: list[float] = field(default_factory=list)
    training_cost: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[float]]:
        return asdict(self)

    def __repr__(self) -> str:
        """Short, for the REPL's echo after ``net.SGD(...)``: the number of epochs
        and each recorded accuracy's best (epochs numbered from 0, as printed)
        and final value.  The lists themselves are the attributes."""
        n = len(self.seconds)
        parts = [f"{n} epoch{'' if n == 1 else 's'}"]
        for name in ("test", "evaluation", "training"):
            accuracy = getattr(self, f"{name}_accuracy")
            if accuracy:
                best = int(np.argmax(accuracy))
                parts.append(f"best {name} accuracy {100 * accuracy[best]:.2f} % at epoch "
                             f"{best}, final {100 * accuracy[-1]:.2f} %")
        return f"History({', '.join(parts)})"
