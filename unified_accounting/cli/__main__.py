"""``python -m unified_accounting.cli``: the ``ua`` command without its script."""

from .app import main

main()
