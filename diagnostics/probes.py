"""diagnostics.probes
~~~~~~~~~~~~~~~~~~~

Short training runs on copies of the network: what a snapshot of the weights
cannot show (the step size, whether the network can learn at all, whether the
labels belong to the inputs, whether the data is shuffled) shows up only when
something trains.  Each probe trains a copy (``diagnostics.adapter.reference``)
and never the user's object.
"""
