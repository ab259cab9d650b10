"""``python -m diagnostics``: see :mod:`diagnostics.cli`."""

from .cli import main

raise SystemExit(main())
