"""The ``handoff`` command: ``serve`` and ``capture``."""
