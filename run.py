"""``python run.py`` from a checkout: the same as ``handoff serve``."""

from handoff.cli.serve import main

if __name__ == "__main__":
    main()
