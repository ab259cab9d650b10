"""diagnostics.usercode
~~~~~~~~~~~~~~~~~~~~~

Checks of the user's own code: the book's methods (``feedforward``,
``backprop``, ``update_mini_batch``, ``cost_derivative``) run on deep copies
and compared with the reference computation for the same weights.

- ``forward_mismatch``: ``feedforward(x)`` against the reference forward pass;
  the first layer that differs is found by running ``feedforward`` on copies
  cut after each layer.
- ``gradient_mismatch``: ``backprop(x, y)`` against the gradient of the cost,
  per layer: the relative error, and the cosine measured by central finite
  differences of the cost along the user's gradient (a sign flip gives -1).
- ``update_mismatch``: two consecutive calls of ``update_mini_batch`` on one
  copy, each against ``-eta/m`` times the summed gradient of its mini-batch:
  the ratio per parameter (``m`` for a missing ``/len(mini_batch)``, 0 for
  parameters never updated, -1 for a sign error; a second call that adds the
  first's gradient again is a sum kept between calls), a parameter whose shape
  the step changed, and chapter 3's L2 term when the method takes ``lmbda``
  and ``n``.

Each fix is verified: a copy trained with the reference's code against one
trained with the user's, on the same mini-batches (:mod:`diagnostics.verify`).
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from nndl.costs import output_activation

from . import measures, userfile, verify
from .adapter import user_copy
from .findings import Finding, Verification
from .subject import Subject
from .text import sentences
from .verify import fresh_draw

# The user's numbers agree with the reference's when they differ by less than
# this relative to the reference: float64 code that sums in another order
# differs by about 1e-13, float32 code by about 1e-6; a bug by far more.
AGREE = 1e-4
# Per-example checks (feedforward, backprop) run on this many examples: the
# user's code is a Python loop, and one example already shows a wrong formula.
EXAMPLES = 10
# The step of the central differences along a unit direction in parameter
# space: truncation error ~ EPS^2, rounding ~ 1e-16 / EPS.
EPS = 1e-5
# chapter 3's L2 settings for the L2 check: large enough that the decay term
# is measured well beside the gradient step.
L2_LMBDA, L2_N = 5.0, 1000
# A forward pass is verified on this many examples' answers, and a fix helps
# when the reference answers this much more of them correctly.
ANSWERED = 200
ANSWER_GAIN = 0.05


def check(subject: Subject) -> list[Finding]:
    """Every check the user's object allows (none for lists, files and this
    project's own networks, or when the weights are not finite)."""
    if subject.obj is None or not subject.finite:
        return []
    methods = subject.methods
    found: list[Finding] = []
    if "feedforward" in methods:
        found += forward_mismatch(subject)
    if "backprop" in methods:
        found += gradient_mismatch(subject)
    if "update_mini_batch" in methods:
        found += update_mismatch(subject, gradient_wrong=any(
            f.name == "gradient_mismatch" for f in found))
    return found


# The fix for results of the wrong shapes, unless the error names a better one.
SHAPES_FIX = ("return arrays in the shapes of the biases and weights, as the book's code does "
              "(nabla_w[l] = np.dot(delta, activations[l].T) is (fan_out, fan_in))")


class ShapeError(ValueError):
    """The user's method returned arrays of the wrong number or shapes;
    ``fix`` says how to return them right."""

    def __init__(self, message: str, fix: str = SHAPES_FIX) -> None:
        super().__init__(message)
        self.fix = fix


def _raised(name: str, method: str, error: Exception, obj: Any = None) -> Finding:
    """The finding for a ``method`` of the user's that raised ``error``: for
    an exception raised in the file of the user's class (``obj``'s), the
    line that raised it, which is where the fix is."""
    if isinstance(error, ShapeError):
        what, fix = f"your {method} {error}", error.fix
    else:
        what = f"your {method} raised {type(error).__name__}: {error}"
        fix = (f"make {method} run on the book's inputs (a column x of shape (n_in, 1), a "
               f"one-hot column y of shape (n_out, 1))")
        at = None if obj is None else userfile.raised_at(error, userfile.source_files(obj))
        if at is None and _signature_differs(error):
            return _not_checked(name, method, error, obj)
        if at is not None:
            path, line, text = at
            what += f", at line {line} of {path} ({text})"
            fix = (f"the error is in your own code: correct line {line} of {path}, in the "
                   f"code {method} runs; the reference's {method} runs on the same inputs (a "
                   f"column x of shape (n_in, 1), a one-hot column y of shape (n_out, 1))")
    return Finding(name, "error", what, fix,
                   evidence={"error": f"{type(error).__name__}: {error}"})


# The book's signatures (chapter 1's network.py), for the note on a method
# that takes other arguments.
BOOK_SIGNATURES = {"feedforward": "(a)", "backprop": "(x, y)",
                   "update_mini_batch": "(mini_batch, eta)",
                   "cost_derivative": "(output_activations, y)"}


def _signature_differs(error: Exception) -> bool:
    """A TypeError raised by the call itself, not inside the user's code:
    the method takes other arguments than the book's."""
    return isinstance(error, TypeError) and "argument" in str(error)


def _not_checked(name: str, method: str, error: Exception, obj: Any) -> Finding:
    """A note: the user's ``method`` has another signature than the book's,
    so it cannot be run as the book's is, and was not checked (not a bug)."""
    try:
        theirs = str(inspect.signature(getattr(obj, method)))
    except (TypeError, ValueError, AttributeError):
        theirs = "(...)"
    book = BOOK_SIGNATURES.get(method, "")
    return Finding(
        name, "info",
        f"your {method}{theirs} takes other arguments than the book's {method}{book} "
        f"({error}), so it was not run and not checked",
        f"nothing to fix for this check; to have {method} checked, give it the book's "
        f"arguments {book}",
        evidence={"error": f"{type(error).__name__}: {error}", "signature": theirs})


# ---- feedforward ------------------------------------------------------------


def user_outputs(obj: Any, X: np.ndarray, layers: int | None = None) -> np.ndarray:
    """The user's ``feedforward`` of each row of ``X`` as a column, on a deep
    copy cut after ``layers`` weight layers (all by default): rows (n, units).
    Raises ``ValueError`` for an output of the wrong shape."""
    copy_ = user_copy(obj)
    if layers is not None:
        copy_.weights, copy_.biases = list(copy_.weights)[:layers], list(copy_.biases)[:layers]
        for name, value in (("sizes", list(getattr(copy_, "sizes", []))[:layers + 1]),
                            ("num_layers", layers + 1)):
            if hasattr(copy_, name):
                setattr(copy_, name, value)
    units = np.shape(copy_.weights[-1])[0]
    rows = []
    for x in X:
        a = np.asarray(copy_.feedforward(x.reshape(-1, 1)), dtype=np.float64)
        if a.shape not in ((units, 1), (units,)):
            raise ShapeError(f"returned shape {a.shape} for an input of shape "
                             f"({len(x)}, 1); expected ({units}, 1)")
        rows.append(a.reshape(-1))
    return np.stack(rows)


def _agree(user: np.ndarray, ref: np.ndarray) -> bool:
    with np.errstate(all="ignore"):
        return bool(np.max(np.abs(user - ref)) <= AGREE * max(1.0, float(np.max(np.abs(ref)))))


def _looks_like(user: np.ndarray, z: np.ndarray, bias: np.ndarray) -> str | None:
    """What the user's layer seems to compute from the reference's ``z``:
    another activation, or the right one without or with twice the bias."""
    with np.errstate(all="ignore"):
        for name, act in measures.ACTIVATIONS.items():
            for shift, how in ((0.0, ""), (-bias, " without the bias"),
                               (bias, " with the bias added twice")):
                if _agree(user, act.f(z + shift)):
                    return f"{name}(z){how}"
    return None


def forward_mismatch(subject: Subject) -> list[Finding]:
    """The user's ``feedforward`` against the reference forward pass on the
    first :data:`EXAMPLES` inputs, naming the first layer that differs."""
    model, X = subject.model, subject.X[:EXAMPLES]
    zs, acts = measures.forward(model.weights, model.biases, X, model.activation, model.cost)
    try:
        if _agree(user_outputs(subject.obj, X), acts[-1]):
            return []
    except Exception as error:  # the user's code may raise anything
        return [_raised("forward_mismatch", "feedforward", error, subject.obj)]
    L = len(model.weights)
    layer, seen = L, None
    for l in range(1, L):
        try:
            user = user_outputs(subject.obj, X, l)
        except Exception:  # a feedforward that cannot run cut short: say the output
            break
        candidates = [acts[l], measures.ACTIVATIONS[model.output].f(zs[l - 1])]
        if not any(_agree(user, c) for c in candidates):
            layer, seen = l, user
            break
    if seen is None:
        seen = user_outputs(subject.obj, X)
    act = measures.layer_activations(model.activation, model.output, L)[layer - 1].name
    like = _looks_like(seen, zs[layer - 1], model.biases[layer - 1].reshape(1, -1))
    differ = float(np.max(np.abs(seen - acts[layer])))
    what = f"; yours looks like {like}" if like else ""
    return [Finding(
        "forward_mismatch", "error",
        f"your feedforward differs from the reference forward pass (the same weights, "
        f"a = {act}(w a + b) in layer {layer}) first in layer {layer}, by up to {differ:.3g} "
        f"on the first {len(X)} examples{what}",
        f"compute layer {layer} as {act}(np.dot(w, a) + b), as the book's feedforward does"
        + (f", or if {like.split('(')[0]} is what you mean, say so: activation="
           f"\"{like.split('(')[0]}\"" if like and like.endswith("(z)") else ""),
        layer=layer, evidence={"layer": layer, "max_difference": differ, "looks_like": like})]


# ---- backprop ---------------------------------------------------------------


def user_gradient(obj: Any, X: np.ndarray, Y: np.ndarray, pairs: list | None = None
                  ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The mean over the rows of the user's ``backprop(x, y)`` (columns), on
    a deep copy, as float64 ``(nabla_b, nabla_w)``; ``pairs`` the ``(x, y)``
    to give it instead (another label form).  Raises ``ValueError`` for
    results of the wrong number or shapes."""
    copy_ = user_copy(obj)
    shapes_b = [np.shape(b) for b in copy_.biases]
    shapes_w = [np.shape(w) for w in copy_.weights]
    sum_b = [np.zeros(s) for s in shapes_b]
    sum_w = [np.zeros(s) for s in shapes_w]
    pairs = verify.columns(X, Y) if pairs is None else pairs
    for x, y in pairs:
        nb, nw = copy_.backprop(x, y)
        _check_order(nb, nw, shapes_b, shapes_w)
        for l, (db, dw) in enumerate(zip(nb, nw)):
            db, dw = np.asarray(db, dtype=np.float64), np.asarray(dw, dtype=np.float64)
            if db.size != sum_b[l].size or dw.shape != shapes_w[l]:
                raise ShapeError(f"returned shapes {db.shape} and {dw.shape} for "
                                 f"layer {l + 1}; expected {shapes_b[l]} and {shapes_w[l]} "
                                 f"(a transposed product?)")
            sum_b[l] += db.reshape(shapes_b[l])
            sum_w[l] += dw
    return [b / len(pairs) for b in sum_b], [w / len(pairs) for w in sum_w]


def _check_order(nb: list, nw: list, shapes_b: list[tuple], shapes_w: list[tuple]) -> None:
    """Raise :class:`ShapeError` when ``backprop``'s ``(nabla_b, nabla_w)``
    are not one array per layer, or come in the other order: the first with
    the weights' shapes, the second with the biases' sizes."""
    if len(nb) != len(shapes_b) or len(nw) != len(shapes_w):
        raise ShapeError(f"returned {len(nb)} bias and {len(nw)} weight gradients for "
                         f"{len(shapes_b)} layers")
    swapped = ([np.shape(d) for d in nb] == shapes_w
               and [np.size(d) for d in nw] == [math.prod(s) for s in shapes_b]
               and shapes_w != shapes_b)
    if swapped:
        raise ShapeError(
            f"returned (nabla_w, nabla_b): its first list has the weights' shapes "
            f"{[np.shape(d) for d in nb]} and its second the biases' {[np.shape(d) for d in nw]}",
            "return (nabla_b, nabla_w), the biases' gradients first, as the book's backprop "
            "does (update_mini_batch unpacks delta_nabla_b, delta_nabla_w = "
            "self.backprop(x, y))")


def _cost(model, X: np.ndarray, Y: np.ndarray, weights, biases) -> float:
    zs, acts = measures.forward(weights, biases, X, model.activation, model.cost)
    return measures.cost_value(zs[-1], acts[-1], Y, model.cost)


def slope(model, X: np.ndarray, Y: np.ndarray, l: int, direction_b: np.ndarray,
          direction_w: np.ndarray) -> float:
    """The cost's slope along a direction in layer ``l``'s parameters (unit
    length over biases and weights together), by central differences."""
    norm = math.sqrt(float(np.sum(direction_b ** 2) + np.sum(direction_w ** 2)))
    if norm == 0:
        return 0.0
    costs = []
    for sign in (1, -1):
        ws, bs = list(model.weights), list(model.biases)
        ws[l] = ws[l] + sign * EPS * direction_w / norm
        bs[l] = bs[l] + sign * EPS * direction_b / norm
        costs.append(_cost(model, X, Y, ws, bs))
    return (costs[0] - costs[1]) / (2 * EPS)


def layer_comparison(model, X, Y, user, ref) -> list[dict[str, float]]:
    """Per layer: the relative error of the user's gradient against the
    reference's, their cosine, and the cosine measured by finite differences:
    the slope along the user's gradient over the gradient's length (itself
    measured as the slope along the reference gradient)."""
    rows = []
    for l in range(len(model.weights)):
        u = np.concatenate([user[0][l].ravel(), user[1][l].ravel()])
        r = np.concatenate([ref[0][l].ravel(), ref[1][l].ravel()])
        nu, nr = float(np.linalg.norm(u)), float(np.linalg.norm(r))
        length = slope(model, X, Y, l, ref[0][l], ref[1][l])  # ~ |grad C|
        along = slope(model, X, Y, l, user[0][l], user[1][l])
        rows.append({
            "layer": l + 1, "relative_error": float(np.linalg.norm(u - r)) / nr if nr else nu,
            "cosine": float(u @ r) / (nu * nr) if nu and nr else 0.0,
            "cosine_fd": along / length if length > 0 else 0.0,
            "length_ratio": nu / nr if nr else math.inf, "gradient_norm_fd": length})
    return rows


def cost_derivative_agrees(subject: Subject) -> bool | None:
    """Whether the user's ``cost_derivative(a, y)`` returns ``a - y``, the
    derivative of the quadratic cost (on random columns); None when it cannot
    be compared (no such method, another cost, or it raises)."""
    if "cost_derivative" not in subject.methods or subject.model.cost != "quadratic":
        return None
    a, y = _columns_for_cost_derivative(subject)
    try:
        got = np.asarray(subject.user().cost_derivative(a, y), dtype=np.float64).reshape(-1)
    except Exception:  # the user's code may raise anything
        return None
    return got.shape == (a.size,) and _agree(got, (a - y).reshape(-1))


def _columns_for_cost_derivative(subject: Subject) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    n = subject.model.sizes[-1]
    return rng.random((n, 1)), rng.random((n, 1))


def _cost_derivative_note(subject: Subject) -> str:
    """What the user's ``cost_derivative`` returns against the quadratic
    cost's ``a - y``, when it is the place of a sign or scale error."""
    if cost_derivative_agrees(subject) is not False:
        return ""
    a, y = _columns_for_cost_derivative(subject)
    got = np.asarray(subject.user().cost_derivative(a, y), dtype=np.float64).reshape(-1)
    want = (a - y).reshape(-1)
    cosine = float(got @ want) / (np.linalg.norm(got) * np.linalg.norm(want) or 1.0)
    if cosine < -0.999:
        return (" Your cost_derivative(a, y) returns y - a: the derivative of the quadratic "
                "cost (a - y)^2 / 2 with respect to a is a - y.")
    return (f" Your cost_derivative(a, y) differs from a - y, the derivative of the "
            f"quadratic cost (cosine {cosine:.3f}).")


def _fixed_by_cost_derivative(subject: Subject, X: np.ndarray, Y: np.ndarray,
                              ref: tuple[list[np.ndarray], list[np.ndarray]]) -> bool:
    """Whether the user's ``backprop``, on a copy whose ``cost_derivative``
    returns ``a - y``, agrees with the reference gradient ``ref``: then
    ``cost_derivative`` is the one place to fix."""
    if cost_derivative_agrees(subject) is not False:
        return False
    copy_ = subject.user()
    copy_.cost_derivative = lambda output_activations, y: output_activations - y
    try:
        nb, nw = user_gradient(copy_, X, Y)
    except Exception:  # the user's code may raise anything
        return False
    return all(_agree(u, r) for u, r in zip(nb + nw, ref[0] + ref[1]))


def gradient_mismatch(subject: Subject) -> list[Finding]:
    """The user's ``backprop`` against the gradient of the cost, per layer;
    the fix names ``cost_derivative`` when a copy with a correct one agrees."""
    model = subject.model
    X, Y = subject.X[:EXAMPLES], subject.Y[:EXAMPLES]
    try:
        user = user_gradient(subject.obj, X, Y)
    except Exception as error:  # the user's code may raise anything
        return [_raised("gradient_mismatch", "backprop", error, subject.obj)]
    ref = measures.gradient(model.weights, model.biases, X, Y, model.activation, model.cost)
    rows = layer_comparison(model, X, Y, user, ref)
    wrong = [row for row in rows if row["relative_error"] > AGREE]
    if not wrong:
        return []
    other = _other_cost(subject, X, Y, user)
    if other is not None:
        return [_other_cost_finding(subject, other, len(X))]
    last = wrong[-1]  # backprop runs from the output back: the error starts here
    per_layer = "; ".join(f"layer {row['layer']}: relative error {row['relative_error']:.3g}, "
                          f"cosine {row['cosine_fd']:.3f}" for row in wrong)
    located = _fixed_by_cost_derivative(subject, X, Y, ref)
    if located:
        fix = ("make cost_derivative return output_activations - y, as the book's does (a copy "
               "of your code with that change computes the gradient exactly)")
    else:
        # the output error (BP1): a - y times sigma'(z) for the quadratic
        # cost; a - y alone for cross-entropy and the log-likelihood (ch. 3)
        output = ("delta = cost_derivative(a, y) * sigma'(z) at the output"
                  if model.cost == "quadratic" else
                  f"delta = a - y at the output (no sigma'(z) factor with the {model.cost} cost)")
        fix = (f"compute layer {last['layer']}'s gradient as the book's backprop does: {output}, "
               f"delta = np.dot(w.T, delta) * f'(z) going back (f the hidden activation, "
               f"{model.activation}), nabla_w = np.dot(delta, a_previous.T)")
    return [Finding(
        "gradient_mismatch", "error", sentences(
        f"your backprop differs from the gradient of the {model.cost} cost (central finite "
        f"differences on {len(X)} examples): {per_layer}", _shape_of_error(last),
        _cost_derivative_note(subject)), fix, layer=last["layer"],
        evidence={"layers": rows, "place": "cost_derivative" if located else "backprop"})]


def _other_cost(subject: Subject, X: np.ndarray, Y: np.ndarray, user: tuple) -> str | None:
    """The other cost of this project (quadratic, cross-entropy,
    log-likelihood) whose reference gradient the user's ``user`` gradient
    equals in every layer, or None."""
    model = subject.model
    for cost in ("quadratic", "cross_entropy", "log_likelihood"):
        if cost == model.cost:
            continue
        ref = measures.gradient(model.weights, model.biases, X, Y, model.activation, cost)
        if all(_agree(u, r) for u, r in zip(user[0] + user[1], ref[0] + ref[1])):
            return cost
    return None


def _other_cost_finding(subject: Subject, other: str, examples: int) -> Finding:
    """A warning: the user's ``backprop`` computes the gradient of ``other``,
    not of the cost this diagnosis was given (or assumed)."""
    cost = subject.model.cost
    why = (": the output delta a - y without sigma'(z) is the cross-entropy's (the book, "
           "ch. 3), which learns faster than the quadratic cost from saturated outputs"
           if (other, cost) == ("cross_entropy", "quadratic") else "")
    return Finding(
        "gradient_mismatch", "warning",
        f"your backprop computes the gradient of the {other} cost, not of the {cost} cost "
        f"this diagnosis measures with (in every layer it agrees with the reference's "
        f"{other} gradient to {AGREE:g} relative, on {examples} examples){why}",
        f"if the {other} cost is what you train, say so: diagnose(net, cost=\"{other}\", "
        f"...) or --cost {other}, and keep your backprop; only if you mean the {cost} cost, "
        f"compute its gradient as the book's backprop does",
        evidence={"computes_cost": other, "place": "backprop"})


def _shape_of_error(row: dict[str, float]) -> str:
    cosine, ratio = row["cosine_fd"], row["length_ratio"]
    if cosine < -0.99:
        return (f" In layer {row['layer']} it points against the gradient (cosine "
                f"{cosine:.3f}): a sign is flipped, so every step climbs the cost.")
    if cosine > 0.99:
        return (f" In layer {row['layer']} it points the right way but is {ratio:.3g} times "
                f"as long: a factor is wrong.")
    return (f" In layer {row['layer']} it points another way (cosine {cosine:.3f}): a "
            f"missing sigma'(z), the wrong layer's activation or a transposed product.")


# ---- update_mini_batch ------------------------------------------------------


def _params(obj: Any) -> list[np.ndarray]:
    """``obj``'s ``[w_0, ..., b_0, ...]`` as float64, the biases as columns."""
    return ([np.asarray(w, dtype=np.float64) for w in obj.weights]
            + [np.asarray(b, dtype=np.float64).reshape(-1, 1) for b in obj.biases])


def _calls(copy_: Any, eta: float, batches: list[list], lmbda: float = 0.0,
           n: int | None = None) -> list[tuple[list[np.ndarray], list[np.ndarray]]]:
    """Consecutive calls of ``copy_.update_mini_batch`` (the copy is changed),
    one per mini-batch of ``batches``: per call the parameters before it and
    how it moved each (:func:`_params` order).  Raises :class:`ShapeError`
    when a call changes a parameter's shape."""
    out = []
    for pairs in batches:
        shapes = [np.shape(p) for p in list(copy_.weights) + list(copy_.biases)]
        before = _params(copy_)
        verify.call_update(copy_.update_mini_batch, pairs, eta, lmbda, n)
        _check_kept(shapes, [np.shape(p) for p in list(copy_.weights) + list(copy_.biases)])
        out.append((before, [a - b for a, b in zip(_params(copy_), before)]))
    return out


def _check_kept(before: list[tuple], after: list[tuple]) -> None:
    """Raise :class:`ShapeError` naming each parameter whose shape an update
    changed; biases that took their weights' shapes were given the weights'
    gradients."""
    L = len(before) // 2
    names = [f"weights[{l}]" for l in range(L)] + [f"biases[{l}]" for l in range(L)]
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    if not changed:
        return
    text = "changed the shapes of " + ", ".join(
        f"{names[i]} from {before[i]} to {after[i]}" for i in changed)
    if all(i >= L and after[i] == before[i - L] for i in changed):
        raise ShapeError(
            f"{text}: the biases took the weights' shapes, so they were given the weights' "
            f"gradients (numpy broadcasts a bias column minus a weight matrix without an error)",
            "update the biases with nabla_b and the weights with nabla_w: self.biases = "
            "[b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]")
    i = changed[0]
    raise ShapeError(
        f"{text} (numpy broadcasts arrays of two shapes without an error)",
        f"keep every parameter's shape: subtract from {names[i]}, of shape {before[i]}, a step "
        f"of that same shape")


def _moved(subject: Subject, eta: float, pairs: list, lmbda: float = 0.0, n: int | None = None
           ) -> list[np.ndarray]:
    """How one call of the user's ``update_mini_batch`` on a deep copy moved
    each parameter: ``[dw_0, ..., db_0, ...]`` as float64."""
    return _calls(subject.user(), eta, [pairs], lmbda, n)[0][1]


def _ratios(moved: list[np.ndarray], expected: list[np.ndarray],
            before: list[np.ndarray] | None = None) -> list[tuple[float, float]]:
    """Per parameter: (the projection of the move on the expected step, over
    the step's length squared; the relative error).  With the parameters
    ``before`` the step, a step below their float64 resolution (a saturated
    layer's 1e-14 against weights of 0.5) is compared at that resolution:
    rounding is not a wrong update."""
    out = []
    for i, (u, e) in enumerate(zip(moved, expected)):
        size = float(np.sum(e * e))
        floor = 0.0 if before is None else 4 * float(np.linalg.norm(np.spacing(before[i])))
        if float(np.linalg.norm(u - e)) <= floor:
            out.append((1.0, 0.0))
            continue
        if size == 0:
            out.append((1.0 if not np.any(u) else math.inf, float(np.linalg.norm(u))))
            continue
        out.append((float(np.sum(u * e)) / size, float(np.linalg.norm(u - e)) / math.sqrt(size)))
    return out


def _names(model) -> list[str]:
    L = len(model.weights)
    return [f"weights[{l}]" for l in range(L)] + [f"biases[{l}]" for l in range(L)]


def update_mismatch(subject: Subject, gradient_wrong: bool = False) -> list[Finding]:
    """Two consecutive calls of the user's ``update_mini_batch`` on one copy,
    each against ``-eta/m`` times the summed gradient of its mini-batch (the
    first ``mini_batch_size`` examples, then the next) at the weights it
    started from: an update that keeps a sum between calls is right only the
    first time.  When the user's ``backprop`` is wrong (``gradient_wrong``)
    and the update follows it faithfully, or is right with the reference's
    ``backprop`` in its place, the cause is the gradient: nothing is
    reported here."""
    model, m, eta = subject.model, subject.mini_batch_size, subject.step_size
    batches = _two_batches(subject)
    if gradient_wrong and _right_with(_reference_backprop(subject), subject, eta, batches):
        return []  # the update is right; its gradient is not (gradient_mismatch)
    try:
        calls = _calls(subject.user(), eta, [verify.columns(X, Y) for X, Y in batches])
    except Exception as error:  # the user's code may raise anything
        return [_raised("update_mismatch", "update_mini_batch", error, subject.obj)]
    expected = [_expected(model, before, X, Y, eta)
                for (before, _), (X, Y) in zip(calls, batches)]
    ratios = [_ratios(moved, e, before) for (before, moved), e in zip(calls, expected)]
    if all(rel <= AGREE for _, rel in ratios[0]):
        if any(rel > AGREE for _, rel in ratios[1]):
            return [_later_call_finding(subject, ratios[1], calls, expected)]
        return _l2_mismatch(subject, verify.columns(*batches[0]), calls[0][1])
    if gradient_wrong and "backprop" in subject.methods and _follows_own_gradient(
            subject, batches[0], calls[0][1], eta):
        return []  # the update is right; its gradient is not (gradient_mismatch)
    return [_update_finding(subject, ratios[0], m, eta,
                            _decay(calls[0][1], expected[0], model))]


def _two_batches(subject: Subject) -> list[tuple[np.ndarray, np.ndarray]]:
    """The first two mini-batches of the sample (the first twice when it
    holds only one)."""
    m, X, Y = subject.mini_batch_size, subject.X, subject.Y
    second = slice(m, 2 * m) if len(X) >= 2 * m else slice(0, m)
    return [(X[:m], Y[:m]), (X[second], Y[second])]


def _expected(model, params: list[np.ndarray], X: np.ndarray, Y: np.ndarray,
              eta: float) -> list[np.ndarray]:
    """The book's step ``-eta/m * sum of gradients`` of ``(X, Y)`` from the
    parameters ``params`` (:func:`_params` order), in that order."""
    L = len(model.weights)
    grad_b, grad_w = measures.gradient(params[:L], params[L:], X, Y, model.activation,
                                       cost=model.cost)
    return [-eta * g for g in grad_w + grad_b]


def _reference_backprop(subject: Subject) -> Callable[[Any], Callable]:
    """For a copy of the user's object: a ``backprop(x, y)`` computing the
    reference's gradient of one example at the copy's current parameters, in
    the shapes of its biases and weights."""
    model = subject.model

    def make(copy_: Any) -> Callable:
        def backprop(x: np.ndarray, y: np.ndarray) -> tuple[list, list]:
            params, L = _params(copy_), len(copy_.weights)
            grad_b, grad_w = measures.gradient(
                params[:L], params[L:], np.reshape(x, (1, -1)), np.reshape(y, (1, -1)),
                model.activation, cost=model.cost)
            return [g.reshape(np.shape(b)) for g, b in zip(grad_b, copy_.biases)], grad_w
        return backprop
    return make


def _right_with(backprop: Callable[[Any], Callable], subject: Subject, eta: float,
                batches: list) -> bool:
    """Whether two calls of the user's ``update_mini_batch``, on a copy whose
    ``backprop`` is ``backprop(copy)``, both move every parameter by the
    book's step."""
    copy_ = subject.user()
    copy_.backprop = backprop(copy_)
    try:
        calls = _calls(copy_, eta, [verify.columns(X, Y) for X, Y in batches])
    except Exception:  # the user's code may raise anything
        return False
    return all(rel <= AGREE for (before, moved), (X, Y) in zip(calls, batches)
               for _, rel in _ratios(moved, _expected(subject.model, before, X, Y, eta), before))


def _follows_own_gradient(subject: Subject, batch: tuple, moved: list[np.ndarray],
                          eta: float) -> bool:
    """Whether one call moved every parameter by ``-eta/m`` times the user's
    own ``backprop``'s summed gradient of ``batch``."""
    try:
        own_b, own_w = user_gradient(subject.obj, *batch)
    except Exception:  # the user's code may raise anything: gradient_mismatch says so
        return False
    before = subject.model.weights + subject.model.biases
    return all(rel <= AGREE for _, rel in _ratios(moved, [-eta * g for g in own_w + own_b],
                                                   before))


def _decay(moved: list[np.ndarray], expected: list[np.ndarray], model) -> float | None:
    """The factor ``c`` when the update moved each weight matrix by the
    expected step plus ``c * w`` (the same ``c`` in every layer, the biases
    right): a weight decay, the L2 term of chapter 3 (``c = -eta lmbda / n``)
    applied some other way.  None when the difference is not that."""
    L = len(model.weights)
    if any(_ratios(moved[L:], expected[L:], model.biases)[i][1] > AGREE for i in range(L)):
        return None
    factors = []
    for u, e, w in zip(moved[:L], expected[:L], model.weights):
        r, size = u - e, float(np.sum(w * w))
        c = float(np.sum(r * w)) / size if size else math.nan
        if not (math.isfinite(c) and np.linalg.norm(r - c * w) <= 1e-3 * np.linalg.norm(r)):
            return None
        factors.append(c)
    return factors[0] if np.allclose(factors, factors[0], rtol=1e-3) else None


def aliases(obj: object) -> list[str]:
    """The user's parameters that share memory with an earlier one, each as
    ``"biases[1] and biases[0]"``: one array put in two places of the lists
    (``[b] * 2``, or the same ``b`` appended twice) is updated twice."""
    named = [(f"{kind}[{i}]", p) for kind in ("weights", "biases")
             for i, p in enumerate(getattr(obj, kind, []) or [])
             if isinstance(p, np.ndarray)]
    return [f"{name} and {other}" for k, (name, p) in enumerate(named)
            for other, q in named[:k] if np.shares_memory(p, q)][:3]


def _moved_text(names: list[str], ratios: list[tuple[float, float]], m: int,
                eta: float) -> tuple[str, str]:
    """How the parameters that differ moved against the book's step, and why
    when the one ratio says it (0: never updated, m: no division by m, -1: a
    sign error)."""
    wrong = [(name, r) for name, (r, rel) in zip(names, ratios) if rel > AGREE]
    values = sorted({round(r, 3) for _, r in wrong})
    where = ("every parameter" if len(wrong) == len(names) else
             "the biases" if all(n.startswith("biases") for n, _ in wrong)
             and len(wrong) == len(names) // 2 else
             "the weights" if all(n.startswith("weights") for n, _ in wrong)
             and len(wrong) == len(names) // 2 else ", ".join(n for n, _ in wrong))
    if len(values) == 1:
        r = values[0]
        moved = (f"{where} moved {r:.3g} times the book's step, which is -(eta/m) times "
                 f"the gradients summed over the mini-batch (eta={eta:g}, m={m})")
        why = {0.0: ": they are never updated",
               float(m): f": the sum is not divided by len(mini_batch) = {m}",
               -1.0: ": the step goes up the gradient (a sign error)",
               -float(m): ": a sign error, and the sum is not divided by len(mini_batch)"
               }.get(r, "")
    else:
        moved = "; ".join(f"{n} moved {r:.3g} times the step" for n, r in wrong)
        why = ""
    return moved, why


def _update_finding(subject: Subject, ratios: list[tuple[float, float]], m: int,
                    eta: float, decay: float | None = None) -> Finding:
    """The finding for one call of the user's update that moved the
    parameters other than the book's step (``ratios`` per parameter)."""
    names = _names(subject.model)
    wrong = [name for name, (_, rel) in zip(names, ratios) if rel > AGREE]
    moved, why = _moved_text(names, ratios, m, eta)
    fix = ("update every weight and bias as w - (eta / len(mini_batch)) * nabla_w and "
           "b - (eta / len(mini_batch)) * nabla_b, nabla summed over the mini-batch")
    shared = aliases(subject.obj)
    if decay is not None:
        why = (f": besides the step, it multiplies every weight by {1 + decay:.4g} (a weight "
               f"decay of {-decay:.3g} per step; chapter 3's L2 term shrinks them by "
               f"eta * lmbda / n, e.g. {eta:g} * 5 / 50000 = {eta * 5 / 50000:.2g}: is the "
               f"division by n, the size of the whole training set, missing?)")
        fix = ("shrink the weights as (1 - eta * lmbda / n) * w - (eta / len(mini_batch)) * "
               "nabla_w, n the size of the whole training set (the book, ch. 3)")
    elif shared:
        why = (f": {' and '.join(shared)} are the same array in your object, so an update in "
               f"place of one moves the other too")
        fix = ("give every layer its own arrays (np.random.randn(y, 1) drawn per layer, or "
               "b.copy()), never one array in two places of the list")
    return Finding(
        "update_mismatch", "error",
        f"one call of your update_mini_batch on a copy, with a mini-batch of {m}: "
        f"{moved}{why.replace(' :', ':')}", fix, layer=None,
        evidence={"ratios": {n: r for n, (r, _) in zip(names, ratios)},
                  "relative_errors": {n: rel for n, (_, rel) in zip(names, ratios)},
                  "mini_batch_size": m, "eta": eta, "parameters": wrong})


def _later_call_finding(subject: Subject, ratios: list[tuple[float, float]],
                        calls: list, expected: list[list[np.ndarray]]) -> Finding:
    """The finding for an update whose first call moved every parameter by
    the book's step and whose second (``ratios``) did not; named a sum kept
    between calls when the second moved by its own step plus the first's."""
    m, eta, names = subject.mini_batch_size, subject.step_size, _names(subject.model)
    moved, why = _moved_text(names, ratios, m, eta)
    first, (before, second) = calls[0][1], calls[1]
    kept = all(rel <= AGREE for _, rel in _ratios(
        second, [e + u for e, u in zip(expected[1], first)], before))
    if kept:
        why = (": it moved by its own step plus the first call's, so a sum of the gradients "
               "is kept between calls and never reset to zero")
    fix = ("start every call from zero: nabla_b = [np.zeros(b.shape) for b in self.biases] "
           "and nabla_w = [np.zeros(w.shape) for w in self.weights] inside update_mini_batch, "
           "not kept on self" if kept else
           "make each call depend on its mini-batch and the current weights only (nothing "
           "kept on self between calls)")
    return Finding(
        "update_mismatch", "error",
        f"two calls of your update_mini_batch, one after the other on a copy with "
        f"mini-batches of {m}: the first moved every parameter by the step -eta/m * sum of "
        f"gradients, the second did not: {moved}{why.replace(' :', ':')}", fix,
        evidence={"call": 2, "kept_sum": kept, "mini_batch_size": m, "eta": eta,
                  "ratios": {n: r for n, (r, _) in zip(names, ratios)},
                  "relative_errors": {n: rel for n, (_, rel) in zip(names, ratios)},
                  "parameters": [n for n, (_, rel) in zip(names, ratios) if rel > AGREE]})


def _l2_mismatch(subject: Subject, pairs: list, moved: list[np.ndarray]) -> list[Finding]:
    """Chapter 3's L2 term, when ``update_mini_batch`` takes ``lmbda`` and
    ``n``: with ``lmbda > 0`` the weights must move by ``-eta lmbda / n * w``
    more than without, and the biases not at all."""
    try:
        takes = len(inspect.signature(subject.obj.update_mini_batch).parameters) >= 4
    except (TypeError, ValueError):
        takes = False
    if not takes:
        return []
    eta = subject.step_size
    try:
        with_l2 = _moved(subject, eta, pairs, L2_LMBDA, L2_N)
    except Exception as error:  # the user's code may raise anything
        return [_raised("update_mismatch", "update_mini_batch with lmbda", error,
                         subject.obj)]
    decay = eta * L2_LMBDA / L2_N
    expected = [-decay * w for w in subject.model.weights]
    expected += [np.zeros_like(b) for b in subject.model.biases]
    extra = [a - b for a, b in zip(with_l2, moved)]
    ratios = _ratios(extra, expected)
    if all(rel <= AGREE for _, rel in ratios):
        return []
    names = _names(subject.model)
    shown = "; ".join(f"{n}: {r:.3g}" for n, (r, rel) in zip(names, ratios)
                      if rel > AGREE and n.startswith("weights"))
    biases = any(rel > AGREE for n, (_, rel) in zip(names, ratios) if n.startswith("biases"))
    return [Finding(
        "update_mismatch", "error",
        f"with lmbda={L2_LMBDA:g} and n={L2_N}, your update_mini_batch's weight decay is not "
        f"(1 - eta*lmbda/n) w: per layer it is this many times eta*lmbda/n*w: {shown or '1'}"
        + ("; it also changes the biases, which L2 leaves alone" if biases else ""),
        "shrink the weights as (1 - eta * lmbda / n) * w - (eta / len(mini_batch)) * nabla_w, "
        "n the size of the whole training set, and leave the biases out (the book, ch. 3)",
        evidence={"decay_ratios": {n: r for n, (r, _) in zip(names, ratios)},
                  "lmbda": L2_LMBDA, "n": L2_N, "eta": eta})]


# ---- verification ------------------------------------------------------------


def verify_code(finding: Finding, subject: Subject) -> Verification | None:
    """The reference's code against the user's, from the same weights on the
    same mini-batches (:data:`~diagnostics.verify.STEPS` of them, or
    :data:`~diagnostics.verify.LONG_STEPS` when the reference has not learned
    by then): the reference's update, applied, should learn.  ``None`` when
    the user's object cannot train (no ``update_mini_batch`` and no
    ``backprop``)."""
    if "computes_cost" in finding.evidence:
        return verify_other_cost(finding, subject)
    if not {"update_mini_batch", "backprop"} & set(subject.methods):
        return None
    eta, m = subject.step_size, subject.mini_batch_size
    # the L2 check's own lmbda and n (its finding is about that term), else the user's
    lmbda, n = (finding.evidence["lmbda"], finding.evidence["n"]) if "lmbda" in \
        finding.evidence else (subject.lmbda, subject.training_size)
    own = ("update_mini_batch" if "update_mini_batch" in subject.methods
           else "backprop in the book's update")
    l2 = dict(lmbda=lmbda, n=n)
    fixed, theirs = _code_trials(subject, subject.reference(), subject.user(), eta, m, l2)
    start = "your weights"
    if not fixed.learns:
        # your weights learn with neither code (a bad draw, which another
        # finding names): both codes again, from one fresh fan-scaled draw
        draw = verify.fresh_draw(subject.model.sizes, subject.model.activation,
                                 subject.model.cost)
        user = subject.user()
        user.weights = [w.copy() for w in draw.weights]
        user.biases = [b.copy() for b in draw.biases]
        fresh = _code_trials(subject, draw, user, eta, m, l2)
        if fresh[0].learns:
            (fixed, theirs), start = fresh, ("a fan-scaled draw: your weights learn with "
                                             "neither code, a finding below says why")
    return verify.compare(fixed, theirs, f"with the reference's code ({start})",
                          f"with your {own}", eta, m, must_beat=False)


def _code_trials(subject: Subject, reference: Any, user: Any, eta: float, m: int, l2: dict
                 ) -> tuple[verify.Trial, verify.Trial]:
    """The reference's code (``reference``, a ``network.Network``) and the
    user's (``user``, a copy of their object) trained from the same weights
    on the same mini-batches, the user's for as many steps as the reference
    took to learn (:func:`~diagnostics.verify.until_learns`)."""
    fixed, steps = verify.until_learns(lambda steps: verify.train_reference(
        copy.deepcopy(reference), subject.X, subject.Y, eta, m, steps, **l2))
    theirs = verify.train_user(user, subject.X, subject.Y, eta, subject.model.activation,
                               subject.model.cost, m, steps, **l2)
    return fixed, theirs


def verify_other_cost(finding: Finding, subject: Subject) -> Verification:
    """The fix "say which cost you train", tried: the user's ``backprop``
    against the reference's gradient of the cost it names, on other examples
    than the finding's; it helped when they agree in every layer."""
    cost = finding.evidence["computes_cost"]
    model = subject.model._replace(cost=cost, output=output_activation(cost))
    X, Y = subject.X[EXAMPLES:2 * EXAMPLES], subject.Y[EXAMPLES:2 * EXAMPLES]
    user = user_gradient(subject.obj, X, Y)
    ref = measures.gradient(model.weights, model.biases, X, Y, model.activation, cost)
    errors = [float(np.linalg.norm(u - r)) / (float(np.linalg.norm(r)) or 1.0)
              for u, r in zip(user[0] + user[1], ref[0] + ref[1])]
    return Verification(
        f"with cost=\"{cost}\", your backprop's gradient on {len(X)} other examples "
        f"differs from the reference's by at most {max(errors):.2g} relative in any layer",
        max(errors) <= AGREE, {"cost": cost, "relative_errors": errors})


def verify_forward(finding: Finding, subject: Subject) -> Verification:
    """Train a fresh fan-scaled draw of the user's sizes with the reference,
    then answer the sample with the reference's forward pass and with the
    user's ``feedforward`` on those trained weights: a wrong forward pass
    shows in the answers, whatever the training."""
    eta, m = subject.step_size, subject.mini_batch_size
    net = fresh_draw(subject.model.sizes, subject.model.activation, subject.model.cost)
    trial = verify.train_reference(net, subject.X, subject.Y, eta, m, **subject.l2)
    X, labels = subject.X[:ANSWERED], subject.sample.labels[:ANSWERED]
    copy_ = subject.user()
    copy_.weights = [w.copy() for w in net.weights]
    copy_.biases = [b.copy() for b in net.biases]
    with np.errstate(all="ignore"):
        zs, _ = measures.forward(net.weights, net.biases, X, net.activation, net.cost)
        ref = float(np.mean(measures.predictions_of(zs[-1]) == labels))
        try:
            yours = float(np.mean(_answers(user_outputs(copy_, X)) == labels))
        except Exception:  # the user's code may raise anything
            yours = math.nan
    helped = trial.learns and not ref <= yours + ANSWER_GAIN
    return Verification(
        f"a fresh {net.init} draw of your sizes, trained {trial.steps} steps by the reference "
        f"(eta={eta:g}): the reference's forward pass answers {ref:.1%} of {len(X)} examples "
        f"correctly, your feedforward on the same weights {yours:.1%}", helped,
        {"reference_accuracy": ref, "your_accuracy": yours, "steps": trial.steps, "eta": eta})


def _answers(outputs: np.ndarray) -> np.ndarray:
    """Answers from the user's outputs (n, n_out): the largest, or for one
    output 1 above 0.5."""
    if outputs.shape[1] == 1:
        return (outputs[:, 0] > 0.5).astype(np.intp)
    return outputs.argmax(axis=1)


VERIFIERS = {"gradient_mismatch": verify_code, "update_mismatch": verify_code,
             "forward_mismatch": verify_forward}


# ---- the verdict per method ----------------------------------------------------


def verdicts(subject: Subject, findings: list[Finding]) -> dict[str, str]:
    """Per method of the user's that was checked, what the comparison found:
    ``"agrees"`` or ``"differs: see <finding>"`` (the findings that name it),
    for the report's "Your code" line."""
    names = {f.name: f for f in findings}
    gradient = names.get("gradient_mismatch")
    place = gradient.evidence.get("place") if gradient is not None else None
    own_overfit = [f.name for f in findings if f.name == "cannot_overfit"
                   and f.message.startswith("your update_mini_batch")]
    about = {
        "feedforward": ["forward_mismatch"] if "forward_mismatch" in names else [],
        "backprop": ["gradient_mismatch"] if gradient is not None else [],
        "update_mini_batch": [n for n in ("update_mismatch", "gradient_mismatch")
                              if n in names] + own_overfit,
        "cost_derivative": (["gradient_mismatch"] if place == "cost_derivative" else []),
    }
    out = {}
    for method in subject.methods:
        seen = about.get(method, [])
        if method == "cost_derivative" and not seen and cost_derivative_agrees(subject) is None:
            out[method] = "used by your backprop, not compared alone (another cost)"
        elif method == "backprop" and place == "cost_derivative":
            out[method] = "differs through cost_derivative: see gradient_mismatch"
        elif method == "update_mini_batch" and "update_mismatch" not in seen and seen:
            out[method] = f"steps along your backprop's gradient: see {', '.join(seen)}"
        else:
            out[method] = f"differs: see {', '.join(seen)}" if seen else "agrees"
    return out
