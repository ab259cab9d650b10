"""nndl
~~~~

What a learner reading ``network.py`` beside the book can skip: the pieces
the book's files lean on but that are not the book's maths.  One idea per
module:

* :mod:`nndl.files`: writing a file so that a crash leaves it whole or absent.
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
