"""Where browser tests save what they saw: var/screenshots/ (ignored by git) by default.

`scripts/pictures` sets SAUTIDESK_SCREENSHOTS=docs to refresh the pictures in docs/ from the
same scenes; an ordinary test run never writes into the repository's tracked files.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def screenshot(page, name, selector=None):
    """Save the whole page, or only the element at `selector`, as `name`."""
    folder = Path(os.environ.get("SAUTIDESK_SCREENSHOTS") or "var/screenshots")
    folder = folder if folder.is_absolute() else ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    if selector:
        page.locator(selector).screenshot(path=str(folder / name))
    else:
        page.screenshot(path=str(folder / name), full_page=True)
