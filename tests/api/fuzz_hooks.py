"""schemathesis hooks for this API, for the suite and for the CLI (docs/schema.md, "Fuzzing"):

    SCHEMATHESIS_HOOKS=tests.api.fuzz_hooks PYTHONPATH=. .venv/bin/schemathesis run \
      --exclude-checks positive_data_acceptance http://127.0.0.1:8000/api/schema/

`format: carrierx-filter` gets a generator, so that schemathesis need not build a strategy
from the whole filter pattern (about 30 KB) for every case: conditions drawn from the
pattern's own CONDITION, joined by `and`. schemathesis still checks every value against
the pattern, and its coverage phase draws from the pattern itself.

`valid_data_accepted_or_a_documented_rule` is schemathesis's positive_data_acceptance
with this API's one exception (a schema-valid request refused for a rule OpenAPI cannot
state, calls/query/rules.py); run it instead of the built-in, as the suite does.
"""

import os
import re

import django
import schemathesis
from django.apps import apps
from hypothesis import strategies as st
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance


def _django() -> None:
    """The filter pattern is built from the models, so Django must be set up: the suite has
    done it, the schemathesis CLI (which imports these hooks in a process of its own) has
    not. Its settings are the checkout's (cdrapi.settings, which reads `make run`'s .env)."""
    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdrapi.settings")
        django.setup()


def _regex(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(re.compile(pattern), fullmatch=True)


def filters() -> st.SearchStrategy[str]:
    _django()
    from calls.carrierx import filter_pattern
    from calls.carrierx.filter_language import MAX_CONDITIONS

    condition = _regex(filter_pattern.CONDITION)
    joiner = _regex(filter_pattern.GAP + filter_pattern.AND + filter_pattern.GAP)
    more = st.lists(st.tuples(joiner, condition), max_size=MAX_CONDITIONS - 1)

    def join(before: str, first: str, more: list, after: str) -> str:
        return before + first + "".join(j + c for j, c in more) + after

    pad = _regex(filter_pattern.PAD)
    return st.builds(join, pad, condition, more, pad)


schemathesis.openapi.format("carrierx-filter", filters())


def broken_rule(response):
    """The documented rule (calls/query/rules.py) an error answer names in either face's
    error shape, if it names one and nothing else."""
    _django()
    from calls.query import rules

    try:
        body = response.json()
    except ValueError:
        return None
    if "error" in body:  # Plivo
        messages = [body["error"]]
    else:  # CarrierX
        messages = [item.get("message", "") for item in body.get("errors", [])]
    found = [rules.broken_by(response.status_code, message) for message in messages]
    return found[0] if found and all(found) else None


@schemathesis.check
def valid_data_accepted_or_a_documented_rule(ctx, response, case):
    """Valid data is accepted (schemathesis's positive_data_acceptance), except a request
    the server refuses for one of the documented rules OpenAPI cannot state (two parameters
    together, the clock, stored data): any other refusal fails, as the built-in's."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if broken_rule(response) is None:
            raise
        return None
