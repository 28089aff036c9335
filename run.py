"""Start handoff: load settings, set up logging, serve (see ``handoff.serve``)."""

from handoff.cli.serve import load_settings, main  # noqa: F401  (load_settings kept importable from here)

if __name__ == "__main__":
    main()
