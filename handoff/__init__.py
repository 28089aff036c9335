"""handoff: lend a desktop application the user's phone for one capture task."""

__version__ = "0.1.0"
