"""schemathesis hooks for this API, for the suite and for the CLI:

    SCHEMATHESIS_HOOKS=tests.api.fuzz_hooks schemathesis run http://127.0.0.1:8000/api/schema/

`format: carrierx-filter` gets a generator, so that schemathesis need not build a strategy
from the whole filter pattern (about 30 KB) for every case: conditions drawn from the
pattern's own CONDITION, joined by `and`. schemathesis still checks every value against
the pattern, and its coverage phase draws from the pattern itself.
"""

import re

import schemathesis
from hypothesis import strategies as st

from calls.carrierx import filter_pattern
from calls.carrierx.filter_language import MAX_CONDITIONS


def _regex(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(re.compile(pattern), fullmatch=True)


def filters() -> st.SearchStrategy[str]:
    condition = _regex(filter_pattern.CONDITION)
    joiner = _regex(filter_pattern.GAP + filter_pattern.AND + filter_pattern.GAP)
    more = st.lists(st.tuples(joiner, condition), max_size=MAX_CONDITIONS - 1)

    def join(before: str, first: str, more: list, after: str) -> str:
        return before + first + "".join(j + c for j, c in more) + after

    pad = _regex(filter_pattern.PAD)
    return st.builds(join, pad, condition, more, pad)


schemathesis.openapi.format("carrierx-filter", filters())
