"""diagnostics.probes
~~~~~~~~~~~~~~~~~~~

Short training runs on copies of the network: what a snapshot of the weights
cannot show (the step size, whether the network can learn at all, whether the
labels belong to the inputs, whether the data is shuffled) shows up only when
something trains.  Each probe trains a copy and never the user's object.

What the rest of the package gives a probe:

- ``diagnostics.subject.Subject``: the network and its data in one object:
  ``subject.model`` (float64 ``weights``, ``biases``, ``sizes``,
  ``activation``, ``output``, ``cost``, ``source``), ``subject.obj`` (the
  user's object, or None for lists, files and ``network.Network``),
  ``subject.sample`` (``X``, ``labels``, ``Y``, ``pairs``,
  ``integer_labels``, ``outside``, ``label_range``), ``subject.X`` (float64),
  ``subject.Y``, ``subject.eta`` (None when not given),
  ``subject.step_size`` (theirs, else the book's for the cost),
  ``subject.mini_batch_size``, ``subject.methods`` (the book's methods
  the object has), ``subject.finite``; ``subject.reference(seed)`` a fresh
  ``network.Network`` with the same weights, ``subject.user()`` a fresh deep
  copy of the user's object.
- ``diagnostics.verify``: ``train_reference(net, X, Y, eta,
  mini_batch_size, steps, seed, *, lmbda, n) -> Trial`` and
  ``train_user(obj, X, Y, eta, hidden, cost, mini_batch_size, steps, seed,
  pairs, *, lmbda, n) -> Trial`` train a copy on the same seeded
  mini-batches; a ``Trial`` has ``start``, ``end`` (NaN when it diverged),
  ``steps``, ``nan_after``, ``learns``, ``ended()``;
  ``compare(fixed, theirs, fix, yours, eta, mini_batch_size, numbers, *,
  must_beat=True) -> Verification`` makes the sentence; ``fresh_draw(sizes,
  activation, cost, seed)``, ``cost_of(...)``, ``batches(...)``,
  ``BOOK_ETA``, ``STEPS``.
- ``diagnostics.findings``: ``Finding(name, severity, message, fix, layer,
  evidence, verified)``, ``Verification(text, helped, numbers)``, the cause
  order ``FINDINGS`` (the probes' names are in it already), ``in_cause_order``
  and ``root_cause``.

How a probe joins ``diagnose``: a function ``check(subject) -> list[Finding]``
added to ``diagnostics.diagnosis.CHECKS``, and for each finding name a
verifier ``verify(finding, subject) -> Verification | None`` added to
``diagnostics.diagnosis.VERIFIERS`` (it tries the fix on a copy; ``None``
when it cannot be tried).  ``diagnose`` runs every check, then every
verifier of a finding above "info", and orders the findings by cause.
"""
