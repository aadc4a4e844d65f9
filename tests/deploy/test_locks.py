"""The locks in requirements/ (what production and `make venv` install, pinned with hashes)
match pyproject.toml, and the check that says so catches a dependency added or dropped
without `make lock`. uv resolves against the package index: these need it reachable."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.servers import ROOT

LOCK = ROOT / "requirements" / "lock.py"


def run_check(root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(LOCK), "--check", "--root", str(root)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def names(lock: str) -> set[str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {m[1] for m in re.finditer(r"^([a-z0-9][a-z0-9._-]*)==", text, re.M)}


def canonical(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_locks_match_pyproject():
    checked = run_check()
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_pin_carries_hashes_and_django_one_per_python_branch():
    for lock in ("runtime.txt", "dev.txt"):
        entries = re.split(r"\n(?=[a-z])", (ROOT / "requirements" / lock).read_text())
        pinned = [entry for entry in entries if re.match(r"[a-z0-9._-]+==", entry)]
        assert pinned and all("--hash=sha256:" in entry for entry in pinned), lock
    runtime = (ROOT / "requirements" / "runtime.txt").read_text()
    assert re.search(r"^django==5\.2\.\d+ ; python_full_version < '3\.12'", runtime, re.M)
    assert re.search(r"^django==6\.1\.\d+ ; python_full_version >= '3\.12'", runtime, re.M)


def test_production_installs_no_dev_tool():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dev = {canonical(r) for r in project["optional-dependencies"]["dev"]}
    runtime = {canonical(r) for r in project["dependencies"]}
    assert runtime <= names("runtime.txt")
    assert not dev & names("runtime.txt")
    assert dev | runtime <= names("dev.txt")


@pytest.mark.parametrize("change", ["add", "drop"])
def test_the_check_fails_when_pyproject_changes_without_the_locks(tmp_path, change):
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    pyproject = tmp_path / "pyproject.toml"
    text = pyproject.read_text()
    if change == "add":
        edited = text.replace("dependencies = [\n", 'dependencies = [\n    "six>=1.16",\n', 1)
        expected = re.compile(r"^\+six==", re.M)
    else:
        edited = re.sub(r'^    "pika>=[^"]*",.*\n', "", text, count=1, flags=re.M)
        expected = re.compile(r"^-pika==", re.M)
    assert edited != text
    pyproject.write_text(edited)
    checked = run_check(tmp_path)
    assert checked.returncode == 1
    assert expected.search(checked.stdout), checked.stdout
    assert "run `make lock`" in checked.stderr
