"""experiments.book_numbers
~~~~~~~~~~~~~~~~~~~~~~~~~

The book's numbers and where they come from: each training setting of
Nielsen's *Neural Networks and Deep Learning* (chapters 1, 3 and 5) as its
code is called (``RUNS``), and each figure it reports for one (``ROWS``),
cited to the book's text or to its repository's ``fig/*.json``.

The settings were read in the book's text (the author's site source,
github.com/mnielsen/nnadl_site, ``chap1.html``, ``chap3.html``,
``chap5.html``) and in its repository (github.com/mnielsen/
neural-networks-and-deep-learning, ``fig/*.py`` and ``fig/*.json``).  Where
a figure is in a ``fig/*.json`` too, the JSON has every digit.  The book
quotes a run's best epoch ("95.42 percent at its peak"; 96.49, 95.33, 82.27
and 87.1 % are each the maximum of their JSON's accuracies), so an accuracy
the text gives without saying which epoch is compared at our best epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BOOK = "https://neuralnetworksanddeeplearning.com"
REPO = "https://github.com/mnielsen/neural-networks-and-deep-learning/blob/master"


# ---- the book's settings ---------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One of the book's training settings, as its code is called.

    ``driver`` is ``"network"`` (chapter 1's module), ``"network2"``
    (chapters 3 and 5) or ``"speed"`` (chapter 5's speed of learning: no
    training).  ``init`` is ``"large"`` where the book calls
    ``net.large_weight_initializer()`` (N(0, 1) weights and biases) and
    ``"default"`` where it keeps ``network2``'s N(0, 1/n_in) weights;
    ``network.Network`` always starts N(0, 1).  ``data`` names the set the
    book evaluates on after each epoch; ``train_size`` is how many of the
    first training images it trains on."""

    driver: str
    sizes: tuple[int, ...]
    eta: float = 0.0
    epochs: int = 30
    lmbda: float = 0.0
    init: str = "default"
    data: str = "test"
    train_size: int = 50_000
    mini_batch_size: int = 10

    def call(self) -> str:
        """The book's own lines for this run (the exact setting)."""
        sizes = list(self.sizes)
        training = "training_data" if self.train_size == 50_000 else \
            f"training_data[:{self.train_size}]"
        if self.driver == "network":
            return (f"`network.Network({sizes}).SGD({training}, {self.epochs}, "
                    f"{self.mini_batch_size}, {self.eta}, test_data=test_data)`")
        if self.driver == "speed":
            return (f"`network2.Network({sizes})`, the mean over `training_data[:"
                    f"{self.train_size}]` of `backprop(x, y)`'s ∂C/∂b, its norm per hidden "
                    "layer, before any training")
        large = "; large_weight_initializer()" if self.init == "large" else ""
        lmbda = f", lmbda={self.lmbda}" if self.lmbda else ""
        return (f"`network2.Network({sizes}, cost=CrossEntropyCost){large}`; "
                f"`SGD({training}, {self.epochs}, {self.mini_batch_size}, {self.eta}{lmbda}, "
                f"evaluation_data={self.data}_data, monitor_evaluation_accuracy=True)`")

    def short(self) -> str:
        """The setting in a few words, for the summary table."""
        cost = "quadratic" if self.driver == "network" else "cross-entropy"
        if self.driver == "speed":
            return f"{list(self.sizes)}, N(0, 1/n_in), at initialization"
        init = "N(0, 1)" if self.driver == "network" or self.init == "large" else "N(0, 1/n_in)"
        images = "" if self.train_size == 50_000 else f", first {self.train_size} images"
        lmbda = f", λ {self.lmbda:g}" if self.lmbda else ""
        return (f"{list(self.sizes)}, {cost}, {init}, η {self.eta:g}{lmbda}, "
                f"{self.epochs} epochs{images}, {self.data}")

    def slow(self) -> bool:
        """The costly runs: 100 hidden neurons take 2 to 3 times as long per epoch."""
        return max(self.sizes[1:-1]) >= 100


RUNS: dict[str, Run] = {
    # Chapter 1: network.py, quadratic cost, N(0, 1) weights and biases, test data.
    "ch1-30": Run("network", (784, 30, 10), eta=3.0),
    "ch1-100": Run("network", (784, 100, 10), eta=3.0),
    "ch1-100-eta0.001": Run("network", (784, 100, 10), eta=0.001),
    "ch1-30-eta100": Run("network", (784, 30, 10), eta=100.0),
    # Chapter 3: network2.py, cross-entropy.
    "ch3-xent-30": Run("network2", (784, 30, 10), eta=0.5, init="large"),
    "ch3-xent-100": Run("network2", (784, 100, 10), eta=0.5, init="large"),
    "ch3-overfit-1000": Run("network2", (784, 30, 10), eta=0.5, epochs=400, init="large",
                            train_size=1000),
    "ch3-l2-1000": Run("network2", (784, 30, 10), eta=0.5, epochs=400, lmbda=0.1,
                       init="large", train_size=1000),
    "ch3-l2-30": Run("network2", (784, 30, 10), eta=0.5, lmbda=5.0, init="large"),
    "ch3-l2-100": Run("network2", (784, 100, 10), eta=0.5, lmbda=5.0, init="large",
                      data="validation"),
    "ch3-98": Run("network2", (784, 100, 10), eta=0.1, epochs=60, lmbda=5.0, init="large",
                  data="validation"),
    "ch3-winit-30-new": Run("network2", (784, 30, 10), eta=0.1, lmbda=5.0, data="validation"),
    "ch3-winit-30-old": Run("network2", (784, 30, 10), eta=0.1, lmbda=5.0, init="large",
                            data="validation"),
    "ch3-winit-100-new": Run("network2", (784, 100, 10), eta=0.1, lmbda=5.0,
                             data="validation"),
    "ch3-winit-100-old": Run("network2", (784, 100, 10), eta=0.1, lmbda=5.0, init="large",
                             data="validation"),
    # Chapter 5: network2's defaults (N(0, 1/n_in) weights, cross-entropy).
    "ch5-30-30": Run("network2", (784, 30, 30, 10), eta=0.1, lmbda=5.0, data="validation"),
    "ch5-30-30-30": Run("network2", (784, 30, 30, 30, 10), eta=0.1, lmbda=5.0,
                        data="validation"),
    "ch5-30-30-30-30": Run("network2", (784, 30, 30, 30, 30, 10), eta=0.1, lmbda=5.0,
                           data="validation"),
    "ch5-speed-2": Run("speed", (784, 30, 30, 10), epochs=0, train_size=1000),
    "ch5-speed-3": Run("speed", (784, 30, 30, 30, 10), epochs=0, train_size=1000),
    "ch5-speed-4": Run("speed", (784, 30, 30, 30, 30, 10), epochs=0, train_size=1000),
}


@dataclass(frozen=True)
class Row:
    """One of the book's figures: ``book`` (a fraction for accuracies) is
    read, in our runs of ``run``, by ``metric``: ``"epoch1"`` (after the first
    epoch, the book's "Epoch 0"), ``"best"`` (the best epoch), ``"last"``, or
    ``"speed<l>"`` (hidden layer l's speed of learning).

    ``best_of_three`` adds the distribution of the best of three seeds (the
    book's chapter 1 took best-of-three runs); ``claim`` makes a row
    qualitative: a test of what the book says happens, on each of our runs."""

    name: str
    section: str
    run: str
    metric: str
    book: float
    source: str
    best_of_three: bool = False
    claim: str | None = None


def _ch(n: int, anchor: str, title: str) -> str:
    return f"[{n}, {title}]({BOOK}/chap{n}.html#{anchor})"


CH1 = _ch(1, "implementing_our_network_to_classify_digits",
          "Implementing our network to classify digits")
CH3_XENT = _ch(3, "using_the_cross-entropy_to_classify_mnist_digits",
               "Using the cross-entropy to classify MNIST digits")
CH3_OVERFIT = _ch(3, "overfitting_and_regularization", "Overfitting and regularization")
CH3_L2 = _ch(3, "regularization", "Regularization")
CH3_WINIT = _ch(3, "weight_initialization", "Weight initialization")
CH5_VANISH = _ch(5, "the_vanishing_gradient_problem", "The vanishing gradient problem")


def _fig(name: str) -> str:
    return f"[`fig/{name}`]({REPO}/fig/{name})"


def _winit_rows(n: int) -> list[Row]:
    """The weight-initialization figure: validation accuracy after epoch 1 and
    after epoch 30, for the new and the old initialization (the JSON's lists
    are counts of 10,000)."""
    fig = _fig(f"weight_initialization_{n}.json")
    book = {"new": (9270, 9650), "old": (8643, 9637)} if n == 30 else \
        {"new": (9295, 9781), "old": (8994, 9742)}
    key = {"new": "default_weight_initialization", "old": "large_weight_initialization"}
    rows = []
    for which, (first, last) in book.items():
        for metric, count, epoch in (("epoch1", first, 0), ("last", last, 29)):
            rows.append(Row(
                f"ch3-winit-{n}-{which}-{metric}", CH3_WINIT, f"ch3-winit-{n}-{which}", metric,
                count / 10_000,
                f"{fig}: `{key[which]}[1][{epoch}]` = {count}" + (
                    " (the text: old \"under 87 percent\", new \"almost 93 percent\" after "
                    "the first epoch; η = 0.1)" if n == 30 and metric == "epoch1" else "")))
    return rows


_SPEEDS = {  # fig/norms_during_training_<k>_layers.json, epoch 0 (before training)
    2: (0.06574134326503182, 0.3092184942703712),
    3: (0.011838212272121293, 0.05996519457449515, 0.28314239285488185),
    4: (0.0029752663545292526, 0.017076665445425132, 0.06953924167660484,
        0.28513893545173896),
}
_SPEEDS_TEXT = {2: "0.07…, 0.31…", 3: "0.012, 0.060, 0.283", 4: "0.003, 0.017, 0.070, 0.285"}


def _speed_rows() -> list[Row]:
    rows = []
    for k, norms in _SPEEDS.items():
        fig = _fig(f"norms_during_training_{k}_layers.json")
        for layer, value in enumerate(norms, 1):
            rows.append(Row(f"ch5-speed-{k}-h{layer}", CH5_VANISH, f"ch5-speed-{k}",
                            f"speed{layer}", value,
                            f"{fig}: `[0][{layer - 1}]`; the text: {_SPEEDS_TEXT[k]}"))
    return rows


ROWS: list[Row] = [
    Row("ch1-30-epoch1", CH1, "ch1-30", "epoch1", 0.9129,
        "the text's transcript: \"Epoch 0: 9129 / 10000\"", best_of_three=True),
    Row("ch1-30-best", CH1, "ch1-30", "best", 0.9542,
        "the text: \"95.42 percent at its peak\", \"best-of-three runs\"", best_of_three=True),
    Row("ch1-100-best", CH1, "ch1-100", "best", 0.9659,
        "the text: \"improves the results to 96.59 percent\" (best of three)",
        best_of_three=True),
    Row("ch1-100-eta0.001", CH1, "ch1-100-eta0.001", "last", 0.2142,
        "the text's transcript: \"Epoch 29: 2142 / 10000\"; \"much less encouraging\" "
        "but \"getting slowly better\"", claim="learns, slowly"),
    Row("ch1-30-eta100", CH1, "ch1-30-eta100", "last", 0.0982,
        "the text's transcript: \"Epoch 29: 982 / 10000\"; \"the learning rate is too high\"",
        claim="does not learn"),
    Row("ch3-xent-30", CH3_XENT, "ch3-xent-30", "best", 0.9549,
        "the text: \"a network with 95.49 percent accuracy\""),
    Row("ch3-overfit-full", CH3_OVERFIT, "ch3-xent-30", "best", 0.9533,
        "the text: \"the 95.33 percent on the test data\"; "
        + _fig("overfitting_full.json") + ": max of `[1]` = 9533"),
    Row("ch3-xent-100", CH3_XENT, "ch3-xent-100", "best", 0.9682,
        "the text: \"we obtain an accuracy of 96.82 percent\""),
    Row("ch3-overfit-1000", CH3_OVERFIT, "ch3-overfit-1000", "best", 0.8227,
        "the text: \"tops out at just 82.27 percent\"; " + _fig("overfitting.json")
        + ": max of `[1]` = 8227"),
    Row("ch3-l2-1000", CH3_L2, "ch3-l2-1000", "best", 0.871,
        "the text: \"a peak classification accuracy of 87.1 percent\"; "
        + _fig("regularized.json") + ": max of `[1]` = 8710"),
    Row("ch3-l2-30", CH3_L2, "ch3-l2-30", "best", 0.9649,
        "the text: \"up ... to 96.49 percent\"; " + _fig("regularized_full.json")
        + ": max of `[1]` = 9649 (epoch 29)"),
    Row("ch3-l2-100", CH3_L2, "ch3-l2-100", "best", 0.9792,
        "the text: \"The final result is a classification accuracy of 97.92 percent on the "
        "validation data\""),
    Row("ch3-98", CH3_L2, "ch3-98", "best", 0.9804,
        "the text: \"60 epochs at η = 0.1 and λ = 5.0 ... achieving 98.04 percent\" (the "
        "preceding session's `large_weight_initializer()` kept)"),
    *_winit_rows(30),
    *_winit_rows(100),
    *_speed_rows(),
    Row("ch5-acc-30", CH5_VANISH, "ch3-winit-30-new", "best", 0.9648,
        "the text: \"96.48 percent (or thereabouts - it'll vary a bit from run to run)\""),
    Row("ch5-acc-30-30", CH5_VANISH, "ch5-30-30", "best", 0.9690,
        "the text: \"an improved classification accuracy, 96.90 percent\""),
    Row("ch5-acc-30-30-30", CH5_VANISH, "ch5-30-30-30", "best", 0.9657,
        "the text: \"the result drops back down to 96.57 percent\""),
    Row("ch5-acc-30-30-30-30", CH5_VANISH, "ch5-30-30-30-30", "best", 0.9653,
        "the text: \"The classification accuracy drops again, to 96.53 percent\""),
]
ROW_NAMES = [row.name for row in ROWS]

# What each qualitative claim means, on one run's accuracy per epoch.
CLAIMS: dict[str, Callable[[list[float]], bool]] = {
    "learns, slowly": lambda acc: acc[-1] > acc[0] + 0.02 and acc[-1] < 0.9,
    "does not learn": lambda acc: max(acc) < 0.2,
}
CLAIM_MEANS = {"learns, slowly": "accuracy rises by over 2 points, yet ends below 90 %",
               "does not learn": "accuracy never reaches 20 %"}
METRIC_WORDS = {"epoch1": "after epoch 1", "best": "at the best epoch", "last": "after the last "
                "epoch"}
