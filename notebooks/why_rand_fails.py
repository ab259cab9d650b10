# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Why won't my network learn with `np.random.rand`?
#
# Someone wrote their own version of the network of Michael Nielsen's *Neural Networks
# and Deep Learning*, chapter 1. They drew its weights and biases with
# `np.random.rand` where the book uses `np.random.randn`. It trained, but its accuracy
# stayed at chance, its weights hardly changed, and nothing said why.
#
# This notebook tells that story with this project's code, on real MNIST:
#
# 1. what `rand` and `randn` draw;
# 2. the book's network with each initializer, one epoch;
# 3. what the sigmoid does to the weighted input *z* (saturation);
# 4. `diagnostics` on the question's own `rand` lists: the report, the fix, the report after;
# 5. `zeros` and symmetry;
# 6. depth: chapter 5's speeds of learning;
# 7. where to go next.
#
# Open it in Jupyter, or rebuild and run it from its source `why_rand_fails.py` with
# `python notebooks/run.py` (both need the `dev` extra). The data is found as
# everywhere in the project: `$MNIST_DATA_DIR`, else the cache `data/mnist/`, else it is
# downloaded. `NNDL_NOTEBOOK_TRAIN` sets how many training images to train on (default:
# all 50,000; the test suite uses fewer, so its numbers are lower).

# %%
# %matplotlib inline
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

# The project's modules live in the repository's root, one folder up.
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
sys.path.insert(0, str(ROOT))

import diagnostics  # noqa: E402
import mnist_loader  # noqa: E402
import network  # noqa: E402
from experiments import book, book_numbers, symmetry  # noqa: E402
from nndl import machine  # noqa: E402

plt.rcParams.update({"figure.dpi": 72, "font.size": 10})
TRAIN = int(os.environ.get("NNDL_NOTEBOOK_TRAIN", "50000"))
(X, y), _, (X_test, y_test) = mnist_loader.load_data()
X, y = X[:TRAIN], y[:TRAIN]
sample = (X[:1000], y[:1000])  # what diagnostics looks at: the first 1,000 images
print(f"{len(X):,} training images, {len(X_test):,} test images, {X.shape[1]} pixels each")

# %% [markdown]
# ## 1. What `rand` and `randn` draw
#
# `np.random.rand` is uniform on [0, 1): **every weight is positive**, with mean 1/2.
# `np.random.randn` is the standard normal: mean 0, half of the weights negative. The
# schemes that scale by the layer's fan (Xavier, the book's chapter 3) are zero-centred
# too, and much narrower. Here is the first layer (784 inputs, 30 neurons) of each;
# mind the x axes: `randn`'s weights spread 20 times as wide as Xavier's.

# %%
SCHEMES = ["rand", "randn", "xavier_normal", "chapter3"]
fig, axes = plt.subplots(1, len(SCHEMES), figsize=(12, 2.6))
for ax, init in zip(axes, SCHEMES):
    w = network.Network([784, 30, 10], init=init, seed=0).weights[0].ravel()
    ax.hist(w, bins=60, color="C0")
    ax.set_title(f"{init}\nmean {w.mean():.3f}, sd {w.std():.3f}, {np.mean(w > 0):.0%} > 0")
    ax.set_yticks([])
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. The book's network with each initializer, one epoch
#
# The book's settings: `[784, 30, 10]`, sigmoid neurons, quadratic cost, mini-batches
# of 10, η = 3.0. One epoch each, from seed 0, then the test accuracy and the answer the
# network gives most often.

# %%
INITS = ["rand", "randn", "zeros", "xavier_uniform", "xavier_normal", "chapter3"]
trained = {}
print(f"{'init':16} {'test accuracy':>14} {'most frequent answer':>22}")
for init in INITS:
    net = network.Network([784, 30, 10], init=init, seed=0)
    history = net.SGD((X, y), 1, 10, 3.0, test_data=(X_test, y_test), verbose=False)
    answers = np.bincount(net.predict(X_test), minlength=10)
    trained[init] = net
    print(f"{init:16} {history.test_accuracy[-1]:>13.2%} "
          f"{answers.argmax():>12} ({answers.max() / len(X_test):.0%} of images)")

# %% [markdown]
# `rand` is at chance (about 10 %) and answers the same digit for every image. `zeros`
# learns a little. Every zero-centred scheme learns, and the fan-scaled ones learn fastest.
# The full comparison, 30 epochs and 3 seeds, is the README's main table.
#
# ## 3. What the sigmoid does to *z*
#
# A hidden neuron computes σ(*z*) with *z* = *w* · *x* + *b*. With `rand`, every term of
# *w* · *x* is positive: an MNIST image's pixels add up to about 100, so *z* ≈ 0.5 × 100 +
# 0.5 ≈ 50. The sigmoid is flat there: σ′(*z*) is below 1 % of its maximum, so the error
# passed back through the neuron is multiplied by almost 0, and its weights barely move.
# Here is *z* of the hidden layer, at initialization, on the first 1,000 training images:

# %%
z_flat = diagnostics.saturation_z("sigmoid")
fig, axes = plt.subplots(1, 3, figsize=(12, 2.8))
for ax, init in zip(axes, ["rand", "randn", "xavier_normal"]):
    z = network.Network([784, 30, 10], init=init, seed=0).forward(sample[0])[0][0]
    lo, hi = min(z.min(), -8), max(z.max(), 8)
    ax.hist(z.ravel(), bins=80, range=(lo, hi), density=True, color="C0", alpha=0.6)
    ax.axvspan(lo, -z_flat, color="grey", alpha=0.2)
    ax.axvspan(z_flat, hi, color="grey", alpha=0.2)
    grid = np.linspace(lo, hi, 400)
    ax.twinx().plot(grid, network.sigmoid(grid), "k", lw=1)
    ax.set_title(f"{init}: mean z {z.mean():.1f}, "
                 f"{diagnostics.saturated_fraction(z):.0%} saturated")
    ax.set_yticks([])
fig.tight_layout()
plt.show()
print(f"grey: |z| > {z_flat:.2f}, where sigmoid'(z) is below 1 % of its maximum")
print(f"pixels per image add up to {sample[0].sum(axis=1).mean():.0f} on average: "
      f"0.5 x that + 0.5 = {0.5 * sample[0].sum(axis=1).mean() + 0.5:.1f}")

# %% [markdown]
# ## 4. Diagnosing the question's own network
#
# `diagnostics.diagnose` takes the plain `(weights, biases)` lists of your own code, in
# the book's shapes (or your own class, with its `feedforward`, `backprop` and
# `update_mini_batch`), and says what stops them learning, with the numbers that show it
# and the fix. Given `eta`, the learning rate you train with, it also trains copies for a
# few hundred mini-batches: a range test of learning rates, and each fix tried before it
# is printed (the `verified:` lines). Here are the question's lists, drawn as its code
# drew them:

# %%
# The question's code, with numpy's legacy global generator, seeded here to repeat.
np.random.seed(0)  # noqa: NPY002
sizes = [784, 30, 10]
biases = [np.random.rand(n, 1) for n in sizes[1:]]  # noqa: NPY002
weights = [np.random.rand(n, m) for m, n in zip(sizes[:-1], sizes[1:])]  # noqa: NPY002
report = diagnostics.diagnose((weights, biases), sample, eta=3.0)
print(report)
print("root cause:", report.cause.name)

# %% [markdown]
# The report's fix, in the same code: zero-centred weights scaled by the layer's fans
# (Xavier normal), zero biases. The report after it:

# %%
weights_fixed = [np.random.randn(n, m) * np.sqrt(2 / (m + n))  # noqa: NPY002
                 for m, n in zip(sizes[:-1], sizes[1:])]
biases_fixed = [np.zeros((n, 1)) for n in sizes[1:]]
print(diagnostics.diagnose((weights_fixed, biases_fixed), sample, eta=3.0))

# %% [markdown]
# And to show that the fix is the fix, both trained for one epoch with the book's
# settings (a `network.Network` takes the lists as they are):


# %%
def one_epoch(weights, biases):
    net = network.Network(sizes, seed=0)
    net.weights, net.biases = [w.copy() for w in weights], [b.copy() for b in biases]
    return net.SGD((X, y), 1, 10, 3.0, test_data=(X_test, y_test), verbose=False)


print(f"rand lists:  {one_epoch(weights, biases).test_accuracy[-1]:.2%}")
print(f"fixed lists: {one_epoch(weights_fixed, biases_fixed).test_accuracy[-1]:.2%}")

# %% [markdown]
# ## 5. `zeros` and symmetry
#
# With every weight and bias 0, the 30 hidden neurons compute the same thing, receive
# the same error and the same update: they start as copies and, in exact arithmetic,
# stay copies. The network has, in effect, one hidden neuron. `diagnostics` counts the
# distinct rows of [weights | bias] in each layer.
#
# A computer rounds, and the BLAS may add up equal neurons' sums in different orders:
# on some OpenBLAS kernels (SkylakeX, AVX-512) that makes the copies differ by one unit
# in the last place, and training amplifies it until they are different neurons
# (`docs/symmetry_explained.md`). So here is the same epoch twice: with
# `experiments.symmetry.distinct_matmul`, which multiplies each distinct neuron once and
# copies its result to its equals (what exact arithmetic gives, on any kernel), and as
# `network.Network` trained it above, on this machine's kernel.

# %%
exact = symmetry.train_zeros(((X, y), None, (X_test, y_test)), 30, 1, "distinct")
print(f"zeros, exact arithmetic: {exact['distinct']} distinct hidden neurons of 30 "
      f"after one epoch (test accuracy {exact['test_accuracy'][-1]:.2%})")
kernel = machine.machine()["blas_kernel"]
for init in ["zeros", "randn"]:
    net = trained[init]
    print(f"{init}, this machine's {kernel} kernel: "
          f"{diagnostics.distinct_units(net.weights[0], net.biases[0])} distinct "
          f"hidden neurons of 30 after one epoch")
print()
print(diagnostics.diagnose(network.Network([784, 30, 10], init="zeros", seed=0), sample))

# %% [markdown]
# ## 6. Depth: chapter 5's speeds of learning
#
# Chapter 5 measures how fast each hidden layer learns at the start: the norm of
# ∂C/∂b over the layer's neurons, averaged over the first 1,000 training images, for
# `[784, 30, 30, 30, 10]` with the chapter 3 initialization and the cross-entropy cost.
# The early layers learn more slowly: the gradient shrinks as it passes back. With
# `rand` it does not shrink, it vanishes.

# %%
sizes_deep = [784, 30, 30, 30, 10]
speeds = np.array([book.speed_of_learning(sizes_deep, seed, sample) for seed in range(10)])
book_speeds = [row.book for row in book_numbers.ROWS if row.run == "ch5-speed-3"]
rand_net = network.Network(sizes_deep, init="rand", seed=0, cost="cross_entropy")
rand_speeds = [np.linalg.norm(nb) for nb in rand_net.gradient(sample)[0][:-1]]

layers = np.arange(1, 4)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(layers, speeds.mean(axis=0), "o-", label="chapter 3 init (mean of 10 seeds)")
ax.plot(layers, book_speeds, "s--", label="the book (one run)")
ax.plot(layers, rand_speeds, "^-", label="rand (seed 0)")
ax.set_yscale("log")
ax.set_xticks(layers)
ax.set_xlabel("hidden layer")
ax.set_ylabel("||dC/db||")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
for layer in range(3):
    print(f"hidden layer {layer + 1}: ours {speeds[:, layer].mean():.4f} "
          f"± {speeds[:, layer].std(ddof=1):.4f}, the book {book_speeds[layer]:.4f}, "
          f"rand {rand_speeds[layer]:.1e}")

# %% [markdown]
# ## 7. Where to go next
#
# - Your own network: `print(diagnostics.diagnose(your_net))`, or watch it train with
#   `net.SGD(..., callback=diagnostics.Monitor())`
#   ([docs/diagnostics.md](../docs/diagnostics.md)).
# - 30 epochs, 3 seeds, every initializer: `python -m experiments.compare_initializers`
#   ([docs/results.md](../docs/results.md)).
# - Which scheme is PyTorch's or Keras's, and LSUV:
#   [docs/initializers.md](../docs/initializers.md).
# - The book's own figures against our spread over seeds:
#   [docs/book_numbers.md](../docs/book_numbers.md).
# - Deep networks, Glorot & Bengio (2010): [docs/depth.md](../docs/depth.md).
