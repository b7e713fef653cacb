"""Where the non-Python resources live.

In a checkout, `config/`, `templates/` and `migrations/` sit at the top of the repository
(as docs/architecture.md lays them out). In an installed wheel they are shipped inside the
package as `mutualisation/config` and so on. Both cases resolve through here, so nothing
else needs to know how the project was installed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_DIR = _PACKAGE_DIR.parent.parent


@cache
def resource_dir(name: str) -> Path:
    """Return the folder `name` (config, templates, migrations, translations)."""
    for candidate in (_CHECKOUT_DIR / name, _PACKAGE_DIR / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"resource folder {name!r} not found next to the package or the checkout")
