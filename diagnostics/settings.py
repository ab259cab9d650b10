"""diagnostics.settings
~~~~~~~~~~~~~~~~~~~~

What the user's own network computes, when neither they nor their object
say it: the hidden activation and the output layer, read from their
``feedforward``.  A ReLU network, or one with a softmax output, diagnosed as
the book's sigmoid network would have every layer "differ" from the
reference, and the doctor would blame the wrong layer and the wrong cause.
So, when the book's settings do not reproduce their ``feedforward`` on a few
examples and exactly one other setting of this project does (every hidden
activation of ``network.ACTIVATIONS``, with sigmoid or softmax outputs), the
diagnosis uses that one and says so.  The cost cannot be read from a forward
pass: with sigmoid outputs it stays the one given (the book's quadratic).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .adapter import Model
from .findings import Finding
from .measures import ACTIVATIONS, forward
from .usercode import user_outputs

EXAMPLES = 10
# (output activation, the cost that goes with it here)
OUTPUTS = (("sigmoid", None), ("softmax", "log_likelihood"))


def read(obj: Any, model: Model, X: np.ndarray) -> tuple[str, str] | None:
    """``(activation, cost)`` of the one setting whose forward pass gives the
    user's ``feedforward`` on the first rows of ``X``, when ``model``'s does
    not; None when ``model``'s does, or no other one, or several."""
    if obj is None or not callable(getattr(obj, "feedforward", None)):
        return None
    X = np.asarray(X[:EXAMPLES], dtype=np.float64)
    try:
        with np.errstate(all="ignore"):
            theirs = user_outputs(obj, X)
    except Exception:  # noqa: BLE001  (their feedforward's error is the user-code checks')
        return None
    if _gives(model, X, theirs, model.activation, model.cost):
        return None
    others = [(hidden, cost or model.cost) for hidden in ACTIVATIONS for _, cost in OUTPUTS]
    found = [setting for setting in others if setting != (model.activation, model.cost)
             and _gives(model, X, theirs, *setting)]
    return found[0] if len(found) == 1 else None


def _gives(model: Model, X: np.ndarray, theirs: np.ndarray, hidden: str, cost: str) -> bool:
    """The reference forward pass with ``hidden`` and ``cost`` gives ``theirs``."""
    with np.errstate(all="ignore"):
        _, acts = forward(model.weights, model.biases, X, hidden, cost)
    return bool(np.allclose(acts[-1], theirs, rtol=1e-6, atol=1e-9))


def note(activation: str, cost: str) -> Finding:
    """The report's note that the settings were read from the user's code."""
    output = "softmax" if cost == "log_likelihood" else "sigmoid"
    return Finding(
        "settings_read", "info",
        f"your feedforward computes {activation} hidden layers and a {output} output layer, "
        f"not the book's sigmoid throughout: diagnosed as such, with the {cost} cost",
        f"nothing to fix; to diagnose other settings, pass them: diagnose(..., "
        f"activation={activation!r}, cost={cost!r}), or --activation {activation} --cost "
        f"{cost}", evidence={"activation": activation, "cost": cost})
