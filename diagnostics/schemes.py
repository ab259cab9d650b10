"""diagnostics.schemes
~~~~~~~~~~~~~~~~~~~

Which known initialization scheme drew these weights?  The sample's mean and
variance against each scheme's formula, and the shape of the distribution
(its kurtosis) to tell apart schemes with the same moments.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

import initializers

# Scheme identification: a scheme's moments match when the observed mean and
# variance are within this many standard errors of its formula's (a true draw
# fails with probability about 1e-6).
MOMENT_Z = 5.0


class _Moments(NamedTuple):
    """The sample moments of an array's entries, computed once."""

    n: int
    mean: float
    var: float
    m4: float  # fourth central moment
    lo: float
    hi: float

    @classmethod
    def of(cls, x: np.ndarray) -> _Moments:
        x = np.asarray(x, dtype=np.float64).ravel()
        mean = float(x.mean())
        c2 = (x - mean) ** 2
        return cls(x.size, mean, float(c2.mean()), float(np.dot(c2, c2)) / x.size,
                   float(x.min()), float(x.max()))

    @property
    def kurtosis(self) -> float:
        """Excess kurtosis: 0 for a normal distribution, -1.2 for a uniform one."""
        return self.m4 / self.var ** 2 - 3 if self.var > 0 else 0.0

    def distance(self, mean: float, var: float) -> float:
        """How many standard errors the sample's mean or variance (the larger)
        lies from a distribution of ``mean`` and ``var``; 0 or inf when
        ``var`` is 0 (every entry must then equal ``mean``)."""
        if var == 0:
            return 0.0 if self.lo == self.hi == mean else math.inf
        se_var = math.sqrt(max(self.m4 - self.var ** 2, 0.0) / self.n)
        d_mean = abs(self.mean - mean) / math.sqrt(var / self.n)
        d_var = abs(self.var - var) / se_var if se_var > 0 else math.inf
        return max(d_mean, d_var)


def fan_scheme(activation: str) -> str:
    """The fan-scaled scheme a fix draws with: ``he_normal`` for ReLU layers
    (He et al., 2015), else ``xavier_normal`` (Glorot & Bengio, 2010)."""
    return "he_normal" if activation == "relu" else "xavier_normal"


def identify_scheme(weights: np.ndarray, biases: np.ndarray | None = None) -> list[str]:
    """Names of the schemes in ``initializers.SCHEMES`` these weights look drawn from.

    A scheme matches when the weights' mean and variance agree with its
    ``weight_moments(fan_in, fan_out)`` (within ``MOMENT_Z`` standard errors).
    Schemes with the same moments (Xavier uniform and normal) are told apart by
    the shape of the distribution: the kurtosis of the weights against that of
    a draw of the scheme.  Schemes whose bias rule matches ``biases`` come
    first.  An empty list means no known scheme (as after training).
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.size < 2 or not np.isfinite(w).all():
        return []
    fan_out, fan_in = w.shape
    observed = _Moments.of(w)
    distance = {}
    for scheme in initializers.SCHEMES.values():
        try:
            d = observed.distance(*scheme.weight_moments(fan_in, fan_out))
        except Exception:  # a scheme that does not apply to this shape
            continue
        if d <= MOMENT_Z:
            distance[scheme.name] = d
    if len(distance) > 1:  # same moments: tell the distributions apart by their shape
        tolerance = MOMENT_Z * math.sqrt(48 / w.size)  # sd of two kurtosis estimates
        same = {name: d for name, d in distance.items()
                if abs(_draw_kurtosis(name, w.shape) - observed.kurtosis) <= tolerance}
        distance = same or distance
    bias_ok = {}
    b = None if biases is None else np.asarray(biases, dtype=np.float64)
    if b is not None and b.size and np.isfinite(b).all():
        bias = _Moments.of(b)
        bias_ok = {name: bias.distance(*initializers.SCHEMES[name].bias_moments) <= MOMENT_Z
                   for name in distance}
    # Best first: biases that match too, then the closest weight moments.
    return sorted(distance, key=lambda name: (not bias_ok.get(name, False), distance[name]))


_KURTOSIS: dict[tuple[str, tuple[int, int]], float] = {}


def _draw_kurtosis(name: str, shape: tuple[int, int]) -> float:
    """The excess kurtosis of one draw of scheme ``name`` in ``shape``
    (uniform -1.2, normal 0, others as they come), kept per process.  NaN
    when the scheme cannot draw that shape: it then never matches."""
    key = (name, tuple(shape))
    if key not in _KURTOSIS:
        try:
            draw = initializers.SCHEMES[name].weights(np.random.default_rng(0), shape,
                                                      np.float64)
            _KURTOSIS[key] = _Moments.of(draw).kurtosis
        except Exception:  # a scheme that cannot draw this shape
            _KURTOSIS[key] = math.nan
    return _KURTOSIS[key]


def scheme_text(names: list[str]) -> str:
    if not names:
        return "no known scheme"
    first = initializers.SCHEMES[names[0]]
    others = f" (or {', '.join(names[1:])})" if len(names) > 1 else ""
    return f"{first.name}{others}: {' '.join(first.summary.split())}"
