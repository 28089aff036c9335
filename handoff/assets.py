"""Where the phone pages' templates and static files are.

They live at the top of the repository and are shipped inside the wheel as
``handoff/templates`` and ``handoff/static``: an installed package finds them
beside its modules, a checkout (or editable install) one level up.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """The directory ``name`` inside the installed package, else in the checkout."""
    for place in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if place.is_dir():
            return place
    raise FileNotFoundError(
        f"handoff's {name}/ is neither in the package ({PACKAGE_DIR / name}) nor in a checkout "
        f"({PACKAGE_DIR.parent / name}); reinstall handoff from its wheel or a full checkout"
    )


TEMPLATES_DIR = asset_dir("templates")
STATIC_DIR = asset_dir("static")
