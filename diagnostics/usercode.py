"""diagnostics.usercode
~~~~~~~~~~~~~~~~~~~~~

Checks of the user's own code: the book's methods (``feedforward``,
``backprop``, ``update_mini_batch``, ``cost_derivative``) run on deep copies
and compared with the reference computation for the same weights.
"""
