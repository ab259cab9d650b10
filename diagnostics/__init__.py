"""diagnostics
~~~~~~~~~~~

"Why doesn't my network learn?"  Diagnose any network before (or while) it
trains: measure each layer on a sample of real inputs, name what is wrong with
the numbers that show it, and give the fix in one sentence.

The question this project started from was a re-implementation of the book's
network whose weights came from ``np.random.rand``: it trained to chance and
its weights hardly changed.  The evidence was all there (every hidden ``z``
near +50, gradients of 1e-14, one answer for every image), but one had to know
where to look.  ``diagnose`` looks::

    >>> import diagnostics
    >>> report = diagnostics.diagnose((weights, biases))   # the book's shapes
    >>> print(report)                  # a table per layer, then the findings
    >>> report.to_dict()               # the same, JSON-safe
    >>> report.plot("report.png")      # z over each activation curve, gradients

``net`` may be a ``network.Network``, a ``network2.Network`` (or any object with
``sizes``, ``weights`` and ``biases``), a saved network's path, or the plain
``(weights, biases)`` lists of your own code.  ``Monitor()`` runs the same
checks after every epoch of ``SGD`` and warns (or stops) when training goes
wrong.  From a shell, ``python -m diagnostics net.npz`` (exit code 1 when a
finding is an error).

One idea per module:

- :mod:`~diagnostics.measures`: each layer's numbers (saturation, dead units,
  the network's own forward and backward passes, the cost), pure functions
  over lists;
- :mod:`~diagnostics.schemes`: which initialization scheme drew the weights;
- :mod:`~diagnostics.adapter`: what to diagnose, read one way (a network, a
  file, lists, any book-style object), never changing the user's object;
- :mod:`~diagnostics.data`: the sample of inputs;
- :mod:`~diagnostics.snapshot`: what a snapshot of the weights shows;
- :mod:`~diagnostics.usercode`: checks of the user's own code;
- :mod:`~diagnostics.probes`: short training runs on copies (the step size
  in :mod:`~diagnostics.rates`, chapter 3's L2 ``lmbda`` in
  :mod:`~diagnostics.regularization`);
- :mod:`~diagnostics.findings`: the ``Finding``, severities, causes in order;
- :mod:`~diagnostics.report`, :mod:`~diagnostics.plot`: the report as text,
  JSON and figure;
- :mod:`~diagnostics.diagnosis`: ``diagnose`` itself;
- :mod:`~diagnostics.monitor`: the training ``Monitor``;
- :mod:`~diagnostics.cli`: ``python -m diagnostics``.
"""

from nndl.costs import output_activation

from .adapter import reference
from .cli import main, parse_args
from .data import DEFAULT_IMAGES, load_sample
from .diagnosis import diagnose
from .findings import FINDINGS, SEVERITIES, Finding, Verification
from .inputs import INPUT_MAX
from .measures import (
    ACTIVATIONS,
    SATURATION_LEVEL,
    UNIT_SATURATED_SHARE,
    Activation,
    activation,
    cost_value,
    dead_units,
    distinct_units,
    forward,
    gradient,
    layer_activations,
    saturated,
    saturated_fraction,
    saturated_units,
    saturation_z,
)
from .monitor import CHANCE_MARGIN, FROZEN_CHANGE, MONITORED, Monitor, TrainingHealthWarning
from .report import LayerReport, Report
from .schemes import MOMENT_Z, identify_scheme
from .snapshot import (
    COLLAPSE_SHARE,
    DEAD_ERROR,
    DEAD_WARNING,
    EXPLODING_RATIO,
    OUTPUT_SATURATED,
    SAME_OUTPUT,
    SATURATED_ERROR,
    SATURATED_WARNING,
    TRAINED_GAIN,
    VANISHING_ERROR,
    VANISHING_RATIO,
)

__all__ = [
    "ACTIVATIONS", "CHANCE_MARGIN", "COLLAPSE_SHARE", "DEAD_ERROR", "DEAD_WARNING",
    "DEFAULT_IMAGES", "EXPLODING_RATIO", "FINDINGS", "FROZEN_CHANGE", "INPUT_MAX", "MOMENT_Z",
    "MONITORED", "OUTPUT_SATURATED", "SAME_OUTPUT", "SATURATED_ERROR", "SATURATED_WARNING",
    "SATURATION_LEVEL", "SEVERITIES", "TRAINED_GAIN", "UNIT_SATURATED_SHARE", "VANISHING_ERROR",
    "VANISHING_RATIO", "Activation", "Finding", "LayerReport", "Monitor", "Report",
    "TrainingHealthWarning", "Verification", "activation", "cost_value",
    "dead_units", "diagnose", "distinct_units", "forward", "gradient", "identify_scheme",
    "layer_activations", "load_sample", "main", "output_activation", "parse_args", "reference",
    "saturated", "saturated_fraction", "saturated_units", "saturation_z",
]
