"""``python -m handoff``: the same as the ``handoff`` command."""

from .cli.main import main

main()
