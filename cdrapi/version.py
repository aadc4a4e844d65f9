"""The version this server runs: pyproject.toml's, the one place it is written.

Read from the checkout's pyproject.toml (what production runs from, so a pulled checkout
shows its new version before its virtualenv is reinstalled), else from the installed
package's metadata.
"""

import tomllib
from importlib.metadata import version
from pathlib import Path

_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _read() -> str:
    if _PYPROJECT.is_file():
        return tomllib.loads(_PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    return version("cdrapi")


VERSION = _read()
