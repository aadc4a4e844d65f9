"""Write, or check, the pinned requirements with hashes that installs use (docs/production.md,
"Installing a host"): runtime.txt (what a production host installs) and dev.txt (runtime plus the
test and lint tools, at the same versions).

    python requirements/lock.py            # after a change to pyproject.toml (`make lock`)
    python requirements/lock.py --upgrade  # every package to its newest allowed version
    python requirements/lock.py --check    # exit 1 if the locks do not match pyproject.toml

uv resolves once for every Python and platform (`--universal`), from the oldest Python
pyproject.toml allows: packages pinned by `python_version` markers (Django 6.1 on 3.12+,
5.2 on 3.11) get one pin per branch, with the marker, so one file serves whichever Python
the Makefile picks. An existing lock's pins are kept unless pyproject.toml rules them out,
so `--check` regenerates into a temporary directory from the committed locks and compares
the pins (names, versions, markers): only a change in pyproject.toml can make them differ,
not a release upstream. Hashes are not compared: a project may add a wheel to a release.
"""

from __future__ import annotations

import argparse
import difflib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"runtime.txt": [], "dev.txt": ["--extra", "dev", "--constraint", "{runtime}"]}
OLDEST_PYTHON = "3.11"  # pyproject.toml's requires-python
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*==\S+(?: ; .+?)?)(?: \\)?$")


def uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        sys.exit("uv is not installed (it is in the dev extras: make venv)")
    return found


def compile_locks(root: Path, out: Path, upgrade: bool = False) -> None:
    """Resolve pyproject.toml under `root` into `out`/runtime.txt and `out`/dev.txt, keeping
    the pins already in those files where pyproject.toml allows them."""

    def near(path: Path) -> str:  # relative inside root, so the "# via" notes stay portable
        return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)

    for name, extra in LOCKS.items():
        args = [a.format(runtime=near(out / "runtime.txt")) for a in extra]
        command = [uv(), "pip", "compile", "pyproject.toml", *args, "--universal",
                   "--python-version", OLDEST_PYTHON, "--generate-hashes", "--quiet",
                   "--custom-compile-command", "make lock",
                   "--output-file", near(out / name)]  # fmt: skip
        if upgrade:
            command.append("--upgrade")
        subprocess.run(command, cwd=root, check=True)


def pins(path: Path) -> list[str]:
    """The `name==version ; marker` lines of a lock, without hashes and comments."""
    found = []
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found.append(match[1])
    return found


def check(root: Path) -> list[str]:
    """The differences between the committed locks and a fresh resolution (none: [])."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name in LOCKS:
            shutil.copy(root / "requirements" / name, out / name)
        compile_locks(root, out)
        for name in LOCKS:
            committed, fresh = pins(root / "requirements" / name), pins(out / name)
            if committed != fresh:
                diff = difflib.unified_diff(committed, fresh, f"requirements/{name}",
                                            "pyproject.toml resolved", lineterm="")  # fmt: skip
                problems.append("\n".join(diff))
    runtime = set(pins(root / "requirements" / "runtime.txt"))
    missing = runtime - set(pins(root / "requirements" / "dev.txt"))
    if missing:
        problems.append(f"requirements/dev.txt lacks runtime pins: {sorted(missing)}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, change nothing")
    parser.add_argument("--upgrade", action="store_true", help="newest allowed versions")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.check:
        problems = check(options.root)
        for problem in problems:
            print(problem)
        if problems:
            sys.exit("The locks do not match pyproject.toml: run `make lock` and commit them.")
        print("requirements/*.txt match pyproject.toml")
        return
    compile_locks(options.root, options.root / "requirements", upgrade=options.upgrade)


if __name__ == "__main__":
    main()
