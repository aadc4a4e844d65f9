"""Everything README.md and docs/*.md point at exists in this checkout (issue 27): the
repository paths and modules they name (`calls/query/core.py`, `calls.bulk.imports.store_rows`,
`calls/ingest/service.py: store_documents`), the settings they document (read by
cdrapi/settings.py, gunicorn.conf.py, or the tool TOOLING names), the documents, headings
and sections they link or cite, the call table's indexes; and the README leads to every
document. A renamed module, a dropped setting or a moved section fails here, in
`make test`, rather than misleading a reader.

What counts as a reference is kept narrow so that prose passes: backticked spans (outside
fenced blocks), paths in plain text only with a file's extension or a closing slash, a
dotted name only if it starts with one of the project's packages, and UPPER_CASE names
only with an underscore, or where a settings table or `NAME=value` documents them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps

from calls.counting import hourly
from tests.docs.examples import DOCUMENTS, ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PACKAGES = ("accounts", "calls", "cdrapi", "bench", "tests")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
_SPAN = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
# What a checkout holds besides its tracked tree (.gitignore's): never a documented path.
_NOT_TREE = {".git", ".venv", "var", ".pytest_cache", ".ruff_cache", ".hypothesis",
             ".schemathesis", "schemathesis-report", "build", "__pycache__"}  # fmt: skip

# Variables the docs name that no setting reads, each with the file that reads it (a test
# asserts it still does, so the list cannot outlive what it stands for).
TOOLING = {
    "TEST_DATABASE_URL": "Makefile",  # the server `make test` uses
    "TEST_REDIS_URL": "tests/test_shared_limits.py",  # the shared-limit tests' Redis
    "BENCH_DATABASE_URL": "bench/run.py",  # the benchmark's own database
    "BENCH_AMQP_URL": "bench/consumer.py",  # the benchmark's broker
    "BENCH_ARGS": "Makefile",  # `make bench`'s arguments
    "FUZZ_EXAMPLES": "Makefile",  # examples per operation in `make fuzz`
    "PYTHON": "Makefile",  # the interpreter `make venv` uses
    "PYTEST_ARGS": "Makefile",  # `make test`'s arguments
    "LOCK_ARGS": "Makefile",  # `make lock`'s arguments
    "HOST": "Makefile",  # where `make run` serves
    "PORT": "Makefile",
    "CI": ".ci/run",  # under CI a skipped test fails the run
    "CONSUME_URL": "deploy/systemd/cdrapi-consume@.service",  # a consumer unit's broker
    "CONSUME_ARGS": "deploy/systemd/cdrapi-consume@.service",
}  # fmt: skip
# Written as NAME=value in the docs, yet no setting of anyone's.
NOT_SETTINGS = {
    "READY": "systemd's notify message (READY=1), which gunicorn sends",
    "NAME": "the placeholder of `.env`'s `NAME=value` lines",
    "KEY": "the placeholder of /etc/cdrapi.env's `KEY=value` lines",
}
# Read by cdrapi/settings.py, but nobody's to set: manage.py sets it for its commands.
INTERNAL_SETTINGS = {"CDRAPI_COMMAND"}


# -- reading the documents -------------------------------------------------------------


def _without_fences(text: str) -> str:
    """The text with fenced blocks blanked, their lines kept (line numbers hold)."""
    return _FENCE.sub(lambda m: "\n" * m[0].count("\n"), text)


def _lines(path: Path) -> list[tuple[str, str]]:
    """(where, line) for every line of the document outside fenced blocks."""
    name = path.relative_to(ROOT)
    text = _without_fences(path.read_text())
    return [(f"{name}:{n}", line) for n, line in enumerate(text.splitlines(), 1)]


def _spans() -> list[tuple[str, str]]:
    """(where, text) of every backticked span of the documents' prose and tables."""
    return [(where, m[1]) for path in DOCUMENTS for where, line in _lines(path)
            for m in _SPAN.finditer(line)]  # fmt: skip


@cache
def _headings(path: Path) -> tuple[str, ...]:
    text = _without_fences(path.read_text())
    return tuple(m[1].replace("`", "").strip() for m in re.finditer(r"^#+\s+(.*)$", text, re.M))


# -- the checkout ----------------------------------------------------------------------


@cache
def _top_names() -> frozenset[str]:
    return frozenset(p.name for p in ROOT.iterdir() if p.name not in _NOT_TREE)


@cache
def _tree_files() -> tuple[Path, ...]:
    """Every file of the checkout's tree (not the virtualenv, the caches or var/)."""
    found = []
    for name in _top_names():
        top = ROOT / name
        found += [top] if top.is_file() else [
            p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ]  # fmt: skip
    return tuple(found)


def _relative(path: Path) -> tuple[str, ...]:
    return path.relative_to(ROOT).parts


def _text(path: Path) -> str:
    return path.read_text(errors="replace")


@cache
def _code() -> str:
    """The tree's code and config: everything but the documents, images and these tests."""
    kept = (p for p in _tree_files() if p.suffix not in (".md", ".png"))
    return "\n".join(_text(p) for p in kept if "docs" not in _relative(p)[:2])


def _defines(path: Path, dotted: str) -> bool:
    """Whether the file defines each part of `dotted` (a function, class, constant or an
    imported name; a method as a `def`)."""
    text = _text(path)
    for name in dotted.split("."):
        pattern = (rf"^\s*(?:async\s+)?(?:def|class)\s+{name}\b|^\s*{name}\s*[:=]"
                   rf"|^\s*(?:from\s+\S+\s+)?import\s.*\b{name}\b")  # fmt: skip
        if not re.search(pattern, text, re.M):
            return False
    return True


# -- repository paths ------------------------------------------------------------------

_EDGES = "()[],;.'\"“”"
# `calls/ingest/service.py: store_documents`, `tests/x.py::test_y`
_PATH_AND_NAME = re.compile(r"^(\S+?\.\w+)(?:::|:\s+)([A-Za-z_][\w.]*)$")
# `calls/query/cursor.py`, `MAX_AGE` / `calls/query/core.py` (`CallQuery._total_sql`)
_PATH_THEN_NAME = re.compile(r"`([\w/.-]+\.py)`(?:,| \()\s*`([A-Za-z_]\w*(?:\.\w+)*)(?:\(\))?`")
# A path in plain text: with a file's extension or a closing slash ("calls/s" is prose).
_PROSE_PATH = re.compile(
    rf"(?<![\w/.`-])((?:{'|'.join(PACKAGES)}|deploy|docs|fixtures|requirements|templates)"
    r"/[\w./*@-]*(?:\.(?:py|md|cfg|conf|lua|json|toml|txt|html|service|timer|png)\b|/))"
)


def _repo_path(token: str) -> str | None:
    """The token as a path inside the checkout, if it reads as one (`calls/query/core.py`,
    `deploy/systemd/`, `docs/*.md`, `pyproject.toml`); else None."""
    token = token.strip(_EDGES).rstrip(":")
    if not token or any(c in token for c in "…<>{}$="):
        return None  # a placeholder: `/etc/cdrapi/consume-QUEUE.env`, `<uuid>.cdr.json`
    if "/" in token:
        return token if token.split("/", 1)[0] in _top_names() else None
    return token if token in _top_names() and "." in token else None


def _path_exists(path: str) -> bool:
    if "*" in path:
        return any(ROOT.glob(path))
    target = ROOT / path
    return target.is_dir() if path.endswith("/") else target.exists()


def _bare_file(token: str) -> bool:
    """A file named without its directory: `seed.py`, `test_home.py`."""
    return token.endswith((".py", ".md")) and "/" not in token


def _span_path_problems(where: str, span: str) -> list[str]:
    named = _PATH_AND_NAME.match(span)
    if named and (path := _repo_path(named[1])):
        if not _path_exists(path):
            return [f"{where}: `{span}`: no {path}"]
        if not _defines(ROOT / path, named[2]):
            return [f"{where}: `{span}`: {path} defines no {named[2]}"]
        return []
    problems = []
    for token in span.split():
        path, bare = _repo_path(token), token.strip(_EDGES)
        if path and not _path_exists(path):
            problems.append(f"{where}: `{span}`: no {path}")
        elif _bare_file(bare) and not any(p.name == bare for p in _tree_files()):
            problems.append(f"{where}: `{span}`: no file named {bare} in the checkout")
    return problems


def _line_path_problems(where: str, line: str) -> list[str]:
    problems = []
    for found in _PROSE_PATH.findall(_SPAN.sub(" ", line)):
        if not _path_exists(found.rstrip(".")):
            problems.append(f"{where}: {found}: no such path")
    for file, name in _PATH_THEN_NAME.findall(line):
        if re.search(r"\.(py|toml|md|txt|cfg|conf|json)$", name):
            continue  # a second file, not a name in the first
        path = _repo_path(file)
        if path and _path_exists(path) and not _defines(ROOT / path, name):
            problems.append(f"{where}: {file} defines no {name}")
    return problems


def _block_path_problems(path: Path) -> list[str]:
    """Repository paths in shell and cron blocks (a reader runs them from the checkout)."""
    problems = []
    text = path.read_text()
    for block in _FENCE.finditer(text):
        if block[1] in ("sh", "console", "cron"):
            line = text.count("\n", 0, block.start()) + 1
            for token in re.split(r"[\s|&>]+", block[2]):
                found = _repo_path(token)
                if found and not _path_exists(found):
                    problems.append(f"{path.relative_to(ROOT)}:{line}: the block names {found}")
    return problems


def test_every_repository_path_the_docs_name_exists():
    problems = [p for where, span in _spans() for p in _span_path_problems(where, span)]
    for path in DOCUMENTS:
        problems += [p for where, line in _lines(path) for p in _line_path_problems(where, line)]
        problems += _block_path_problems(path)
    assert not problems, "\n".join(problems)


# -- dotted module paths ---------------------------------------------------------------

_DOTTED = re.compile(rf"^(?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_]\w*)+$")


@cache
def _dotted_literals() -> frozenset[str]:
    """Every dotted string literal of the project's code: scopes (`calls.read`) and logger
    names (`cdrapi.access`) read like module paths and are not."""
    found = set()
    for path in _tree_files():
        if path.suffix == ".py" and _relative(path)[0] in PACKAGES[:-1]:
            found |= set(re.findall(r"""["']([a-z_]+(?:\.[a-z_]+)+)["']""", _text(path)))
    return frozenset(found)


def _resolves(dotted: str) -> bool:
    """Whether `package.module.name` is a module of the checkout and names defined in it
    (`calls.Call`, an app's model, counts too)."""
    parts = dotted.split(".")
    here = ROOT
    for i, part in enumerate(parts):
        if (here / part).is_dir():
            here = here / part
        elif (here / f"{part}.py").is_file():
            rest = ".".join(parts[i + 1 :])
            return not rest or _defines(here / f"{part}.py", rest)
        else:
            rest = parts[i:]
            if here == ROOT or len(rest) != 1:
                return False
            init = here / "__init__.py"
            if init.is_file() and _defines(init, rest[0]):
                return True
            models = (p for p in here.rglob("*.py") if "migrations" not in p.parts)
            return rest[0][:1].isupper() and any(_defines(p, rest[0]) for p in models)
    return True


def test_every_module_path_the_docs_name_resolves():
    problems = []
    for where, span in _spans():
        for token in span.split():
            token = token.strip(_EDGES).rstrip(":")
            if not _DOTTED.match(token) or token in _dotted_literals():
                continue
            if any(p.name == token for p in _tree_files()):  # cdrapi.service: a unit file
                continue
            if not _resolves(token):
                problems.append(f"{where}: `{span}`: {token} is no module or name here")
    assert not problems, "\n".join(problems)


# -- settings --------------------------------------------------------------------------

_READS = re.compile(r"""\benv_\w+\(\s*["']([A-Z][A-Z0-9_]*)["']""")
_GUNICORN_READS = re.compile(r"""(?:environ\.get|_env_int)\(\s*["']([A-Z][A-Z0-9_]*)["']""")
_NAME = re.compile(r"^([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_?)(\*|=\S*)?$")


@cache
def settings_read() -> frozenset[str]:
    """The environment variables the project reads as settings: cdrapi/settings.py's (its
    typed readers, and cdrapi/env.py's local settings file) and gunicorn.conf.py's."""
    names = set(_READS.findall(_text(ROOT / "cdrapi" / "settings.py")))
    names.add(re.search(r'ENV_FILE_VARIABLE = "(\w+)"', _text(ROOT / "cdrapi" / "env.py"))[1])
    names |= set(_GUNICORN_READS.findall(_text(ROOT / "gunicorn.conf.py")))
    return frozenset(names)


def _setting_rows() -> set[tuple[str, str]]:
    """(where, name) of the names in the first column of a settings table (one whose
    header's first cell is `variable`)."""
    found = set()
    for path in DOCUMENTS:
        in_table = False
        for where, line in _lines(path):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("|"):
                in_table = False
            elif cells[0] == "variable":
                in_table = True
            elif in_table:
                found |= {(where, name) for name in _SPAN.findall(cells[0])}
    return found


def _read_somewhere(name: str) -> bool:
    if name in settings_read():
        return True
    return name in TOOLING and re.search(rf"\b{name}\b", _text(ROOT / TOOLING[name])) is not None


def test_the_settings_tables_are_found():
    """The rule reads the configuration and gunicorn tables (a changed header must not
    silently empty the settings check)."""
    assert {"DATABASE_URL", "GUNICORN_WORKERS"} <= {name for _, name in _setting_rows()}


def test_every_setting_the_docs_document_is_read():
    """A name documented as a setting (a settings table's first column, or `NAME=value`)
    is read by cdrapi/settings.py, gunicorn.conf.py or the tool TOOLING names; any other
    UPPER_CASE name with an underscore (a constant, a cfg define, a Q.850 cause) is in the
    tree's code or config."""
    in_tables = _setting_rows()
    problems = []
    for where, span in sorted({*_spans(), *in_tables}):
        match = _NAME.match(span)
        if not match:
            continue
        name, suffix = match[1], match[2] or ""
        if suffix == "*":
            if not any(known.startswith(name) for known in settings_read()):
                problems.append(f"{where}: `{span}`: no setting starts with {name}")
        elif _read_somewhere(name) or name in NOT_SETTINGS:
            continue
        elif suffix.startswith("=") or (where, span) in in_tables:
            problems.append(f"{where}: `{span}`: a setting nothing reads")
        elif "_" in name and not re.search(rf"\b{name}\b", _code()):
            problems.append(f"{where}: `{span}`: {name} is nowhere in the code or config")
    assert not problems, "\n".join(problems)


def test_every_tooling_variable_is_still_read_where_it_says():
    for name, path in TOOLING.items():
        assert re.search(rf"\b{name}\b", _text(ROOT / path)), f"{path} no longer reads {name}"


def test_every_setting_is_in_the_configuration_reference():
    text = _without_fences((DOCS / "configuration.md").read_text())
    names = {m[1] for span in _SPAN.findall(text) if (m := _NAME.match(span))}
    prefixes = tuple(n for n in names if n.endswith("_"))  # `GUNICORN_*`
    missing = {n for n in settings_read() - names - INTERNAL_SETTINGS if not n.startswith(prefixes)}
    assert not missing, f"read by the settings but not in docs/configuration.md: {sorted(missing)}"


# -- the store's facts -----------------------------------------------------------------


def test_the_storage_page_lists_the_call_tables_indexes():
    """docs/storage.md names each index of the call table's model, and no doc names an
    index the model does not have."""
    model = {index.name for index in apps.get_model("calls", "Call")._meta.indexes}
    storage = set(re.findall(r"`(call_\w+_idx)`", (DOCS / "storage.md").read_text()))
    assert storage == model
    for path in DOCUMENTS:
        named = set(re.findall(r"\b(call_\w+_idx)\b", path.read_text()))
        assert named <= model, f"{path.name} names {sorted(named - model)}"


def test_the_docs_give_the_hourly_counts_key_as_the_table_has_it():
    key = f"({hourly.KEY})"
    assert key in (DOCS / "storage.md").read_text()
    assert key in (DOCS / "production.md").read_text()  # Citus' co-location


# -- links, cited sections, reachability -----------------------------------------------


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_between_documents_lands():
    problems = []
    for path in DOCUMENTS:
        for where, line in _lines(path):
            for target in _LINK.findall(line):
                if re.match(r"[a-z]+:", target):
                    continue  # https:, mailto:
                file, _, anchor = target.partition("#")
                landed = (path.parent / file).resolve() if file else path
                if not landed.exists():
                    problems.append(f"{where}: link to {target}: no such file")
                elif anchor and anchor not in {_slug(h) for h in _headings(landed)}:
                    problems.append(f"{where}: link to {target}: no such heading")
    assert not problems, "\n".join(problems)


# `docs/performance.md`, "Import" / (README, "Set up") / README's "Benchmark"
_CITED = re.compile(r"""(?:`?(?:docs/)?([\w-]+\.md)`?|(README))(?:,|'s| section,?)?\s+"([^"]+)\"""")


def test_every_cited_section_exists():
    """A document and a section cited together name a heading of that document (one that
    starts with the words cited), across a line break too."""
    problems = []
    for path in DOCUMENTS:
        text = _without_fences(path.read_text())
        for cited in _CITED.finditer(text):
            doc, readme, section = cited.groups()
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, cited.start()) + 1}"
            target = README if readme or doc == "README.md" else DOCS / doc
            wanted = " ".join(section.split()).lower()
            if not target.exists():
                problems.append(f"{where}: cites {doc}, which is not in docs/")
            elif not any(h.lower().startswith(wanted) for h in _headings(target)):
                problems.append(f'{where}: {target.name} has no section "{section}"')
    assert not problems, "\n".join(problems)


def test_the_readme_leads_to_every_document():
    readme = README.read_text()
    unlinked = [p.name for p in sorted(DOCS.glob("*.md")) if f"docs/{p.name}" not in readme]
    assert not unlinked, f"README.md names none of {unlinked}"


@pytest.mark.parametrize("path", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
def test_a_document_has_one_title(path):
    assert len(re.findall(r"^# ", _without_fences(path.read_text()), re.M)) == 1
