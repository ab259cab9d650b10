"""experiments.book_stats
~~~~~~~~~~~~~~~~~~~~~~~~

Where one of the book's figures falls among our runs.  The book's figure
comes from one run; ours are n runs, one per seed.  If the runs are normal
with unknown mean and spread, one new run falls below x with probability
``T((x - mean) / (sd sqrt(1 + 1/n)))``, T Student's t with n - 1 degrees of
freedom (the prediction interval of one new observation).  That probability
at the book's figure is its ``p``: between 0.025 and 0.975, a run like the
book's is a plausible draw from ours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def t_cdf(t: float, df: int) -> float:
    """Student's t distribution function with ``df`` (a positive integer)
    degrees of freedom, exactly, by the finite sums of Abramowitz & Stegun
    26.7.3 and 26.7.4 for P(|T| <= t) in theta = atan(t / sqrt(df))."""
    theta = math.atan(abs(t) / math.sqrt(df))
    c2, term = math.cos(theta) ** 2, 1.0
    if df % 2:  # odd: (2/pi) (theta + sin cos (1 + 2/3 cos^2 + 2*4/(3*5) cos^4 + ...))
        total = 1.0 if df > 1 else 0.0
        for k in range(1, (df - 1) // 2):
            term *= c2 * 2 * k / (2 * k + 1)
            total += term
        inside = 2 / math.pi * (theta + math.sin(theta) * math.cos(theta) * total)
    else:  # even: sin (1 + 1/2 cos^2 + 1*3/(2*4) cos^4 + ...)
        total = 1.0
        for k in range(1, df // 2):
            term *= c2 * (2 * k - 1) / (2 * k)
            total += term
        inside = math.sin(theta) * total
    return 0.5 + math.copysign(inside / 2, t)


def t_quantile(p: float, df: int) -> float:
    """The t with ``t_cdf(t, df) == p`` (bisection, to 1e-10)."""
    lo, hi = -1e6, 1e6
    while hi - lo > 1e-10 * max(1.0, abs(hi)):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_cdf(mid, df) < p else (lo, mid)
    return (lo + hi) / 2


def prediction_halfwidth(sd: float, n: int, p: float) -> float:
    """Half the width of the prediction interval for one new run, given n runs
    with sample standard deviation sd: ``t_p(n - 1) sd sqrt(1 + 1/n)``
    (normal runs; with p = 0.975 it holds a new run 95 % of the time)."""
    return t_quantile(p, n - 1) * sd * math.sqrt(1 + 1 / n)


def predictive_cdf(x: float, mean: float, sd: float, n: int) -> float:
    """P(one new run <= x), given n runs of this mean and sample sd: Student's
    t with n - 1 degrees of freedom, scaled by sd sqrt(1 + 1/n)."""
    return t_cdf((x - mean) / (sd * math.sqrt(1 + 1 / n)), n - 1)


def summarize(values: Sequence[float], book: float) -> dict:
    """Our runs' distribution and the book's place in it: its z-score, the
    share of our runs below it, and ``p``, the chance that one new run of ours
    is at most the book's figure (``None`` without two runs that differ)."""
    a = np.asarray(values, dtype=float)
    n = len(a)
    mean, sd = float(a.mean()), float(a.std(ddof=1)) if n > 1 else 0.0
    below = float(np.sum(a < book) + 0.5 * np.sum(a == book))
    spread = n > 1 and sd > 0
    return {"values": a.tolist(), "n": n, "mean": mean, "sd": sd, "min": float(a.min()),
            "max": float(a.max()), "book": book,
            "z": (book - mean) / sd if spread else None,
            "percentile": 100 * below / n,
            "p": predictive_cdf(book, mean, sd, n) if spread else None,
            "pi95": prediction_halfwidth(sd, n, 0.975) if spread else None,
            "pi99": prediction_halfwidth(sd, n, 0.995) if spread else None}


def summarize_best_of_three(values: list[float], per_seed: dict, metric: str) -> dict:
    """The best of three: our values over all triples of seeds (to show), and
    ``p`` from the per-seed model.  The best epoch of the best of three new
    runs is at most x with probability P(one run <= x) cubed; after epoch 1,
    the run picked for its best epoch is one more run (``p`` as per seed)."""
    s = summarize(values, per_seed["book"])
    s["pi95"] = s["pi99"] = s["z"] = None  # the triples overlap: not independent runs
    if per_seed["p"] is not None:
        s["p"] = per_seed["p"] ** 3 if metric == "best" else per_seed["p"]
    return s


def verdict(s: dict) -> str:
    """Whether one run like the book's is a plausible draw from ours: inside
    the central 95 % (or 99 %) of where a new run falls, i.e. ``p`` in
    [0.025, 0.975] (or [0.005, 0.995])."""
    if s["min"] <= s["book"] <= s["max"]:
        return "reproduced: inside our seed range"
    if s["p"] is None:
        return "outside our runs (too few seeds, or no spread, to say more)"
    side, tail = ("higher", 1 - s["p"]) if s["book"] > s["mean"] else ("lower", s["p"])
    if tail >= 0.025:
        return (f"reproduced: the book is {side} than our runs, but inside the central 95 % "
                f"of a new run (p = {s['p']:.3f})")
    if tail >= 0.005:
        return (f"borderline: the book is {side}, outside the central 95 % but inside the "
                f"central 99 % of a new run (p = {s['p']:.4f})")
    return (f"not reproduced: the book is {side}, outside the central 99 % of a new run "
            f"(p = {s['p']:.2g})")


SHORT_VERDICTS = (("reproduced: inside", "inside our range"),
                  ("reproduced: the book is", "inside the central 95 %"),
                  ("borderline", "inside the central 99 % only"),
                  ("not reproduced", "outside the central 99 %"),
                  ("outside our runs", "too few seeds to say"))


def short_verdict(text: str) -> str:
    return next(short for start, short in SHORT_VERDICTS if text.startswith(start))
