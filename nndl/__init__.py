"""nndl
~~~~

What a learner reading ``network.py`` beside the book can skip: the pieces
the book's files lean on but that are not the book's maths.  One idea per
module:

* :mod:`nndl.activations`: the activation functions, their in-place kernels
  and derivatives, and the one table of them (``TABLE``);
* :mod:`nndl.costs`: the three costs, the book's cost classes, the one
  ``cost_name`` and the cost of a data set;
* :mod:`nndl.checks`: the checks of settings and arguments, with messages
  that name the fix;
* :mod:`nndl.data`: a data set brought to the network's layout (``Data``),
  checked once, and ``UnscaledInputWarning``;
* :mod:`nndl.parameters`: the weights and biases, drawn and checked;
* :mod:`nndl.fused`: the speed path, forward and backward passes over rows
  and the fused gradient step;
* :mod:`nndl.training`: what ``SGD`` needs besides the book's loop;
* :mod:`nndl.history`: ``History``, what ``SGD`` measured;
* :mod:`nndl.persistence`: saving and loading networks, never with pickle;
* :mod:`nndl.files`: writing a file so that a crash leaves it whole or absent;
* :mod:`nndl.provenance`: the numerical fingerprint that stamps every record.

The data, behind ``mnist_loader``'s ``load_data``, ``load_data_wrapper`` and
``load_arrays``:

* :mod:`nndl.datasets`: MNIST and Fashion-MNIST, their files, checksums, mirrors.
* :mod:`nndl.errors`: ``DataError`` and ``DataNotFoundError``.
* :mod:`nndl.locate`: where the data lives, and the error when it is nowhere.
* :mod:`nndl.download`: fetching the files, checked, from public mirrors.
* :mod:`nndl.checksums`: the SHA-256 of a file's content, and naming a misplaced file.
* :mod:`nndl.idx`: the IDX file format, read and written.
* :mod:`nndl.arrays`: the four canonical files as checked, scaled arrays.
* :mod:`nndl.fast_images`: inflating, hashing and scaling images in one pipeline.
* :mod:`nndl.unpickle`: a restricted unpickler that only builds numeric arrays.
* :mod:`nndl.book_pickle`: the book's ``mnist.pkl.gz``, read and checked.

Everything here is public within the project (no leading underscores), so
that the top-level modules import names, not private details.
"""
