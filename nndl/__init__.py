"""nndl
~~~~

What a learner reading ``network.py`` beside the book can skip: the pieces
the book's files lean on but that are not the book's maths.  One idea per
module:

* :mod:`nndl.files`: writing a file so that a crash leaves it whole or absent.
* :mod:`nndl.provenance`: the numerical fingerprint that stamps every record.

Everything here is public within the project (no leading underscores), so
that the top-level modules import names, not private details.
"""
