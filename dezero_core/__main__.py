"""``python -m dezero_core``: the same as the ``dezero`` command."""
from dezero_core.cli import main

raise SystemExit(main())
