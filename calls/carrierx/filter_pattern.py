"""The filter language (calls/carrierx/filter_language.py, filters.py) as a regular expression.

So that the schema's `filter` admits the filters the server parses and applies: tokens as
the tokenizer splits them (whitespace is whatever str.isspace() takes; a word ends at
whitespace, a quote or one of `(),`), keywords in any case as str.lower() sees them, each
field with the operators and values its kind takes (filters.py), text of at most MAX_TEXT
characters, null only with eq/ne and never in a list. Built from the server's own tables.

Two size caps are left to the parameter's description, not the pattern: at most
MAX_CONDITIONS conditions and MAX_LENGTH characters. Counting conditions means repeating
the whole grammar 20 times, which Rust's regex crate (jsonschema-rs, schemathesis) refuses
at its default size limit and compiles ten times slower at schemathesis's; a maxLength
next to this pattern sends schemathesis's coverage phase looking for a 4,000-character
match for minutes. docs/schema.md ("Fuzzing") has the numbers.
"""

from __future__ import annotations

from calls.carrierx.cdr import FIELDS
from calls.carrierx.conditions import _DECIMAL, _ORDERED, _USER_DATA_KEY, MAX_TEXT
from calls.query import patterns as p

_NOT_IN_WORD = p.WHITESPACE + "(),'\"" + r"\x00"
_WORD_CHAR = f"[^{_NOT_IN_WORD}]"
GAP = f"[{p.WHITESPACE}]+"  # between two words
PAD = f"[{p.WHITESPACE}]*"  # beside a quote, a parenthesis or a comma
AND = p.any_case("and")
_NULL = p.any_case("null")


def _either(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


def _quoted(content: str) -> str:
    return _either(f"'{content}'", f'"{content}"')


# Quoted text: anything but NUL, a doubled quote standing for one character.
_QUOTED_TEXT = _either(*(f"{q}(?:[^{q}\\x00]|{q}{q}){{0,{MAX_TEXT}}}{q}" for q in ("'", '"')))


def _word_other_than(word: str) -> str:
    """A word of 1..MAX_TEXT characters that is not `word` in any case."""
    n = len(word)
    alternatives = [f"{_WORD_CHAR}{{1,{n - 1}}}", f"{_WORD_CHAR}{{{n + 1},{MAX_TEXT}}}"]
    for at, letter in enumerate(word):
        rest = n - at - 1
        alternatives.append(
            p.any_case(word[:at])
            + f"[^{_NOT_IN_WORD}{p.cases(letter)}]"
            + (f"{_WORD_CHAR}{{{rest}}}" if rest else "")
        )
    return _either(*alternatives)


def _values(kind: str) -> tuple[str, str]:
    """A value for a field of this kind (filters._convert): as a word, and quoted."""
    if kind == "text":  # an unquoted null is the literal null, never the text
        return _word_other_than("null"), _QUOTED_TEXT
    word = {
        "datetime": p.UTC_DATETIME_T_OR_Z,  # a space would end the word
        "uuid": p.UUID,
        "decimal": _DECIMAL.pattern,
        "int": p.INT32,
        "intstr": p.INT32,
        "bool": _either(p.any_case("true"), p.any_case("false")),
    }[kind]
    return word, _quoted(p.UTC_DATETIME_OR_Z if kind == "datetime" else word)


def _operators(kind: str) -> tuple[str, ...]:
    ops = ("eq", "ne")
    if kind in _ORDERED:
        ops += ("gt", "ge", "lt", "le")
    if kind == "text":
        ops += ("like", "ilike")
    return ops


def _conditions() -> tuple[str, str]:
    """Every condition, as (those ending in a word, those ending in a quote or `)`): only
    the first need whitespace before a following `and`."""
    groups: dict[tuple, list[str]] = {}  # fields that take the same operators and values
    for name, (_, kind) in FIELDS.items():
        if kind != "json":  # user_data itself: only its keys can be filtered on
            groups.setdefault((_values(kind), _operators(kind)), []).append(name)
    groups[(_values("text"), _operators("text"))].append(
        rf"user_data\.{_USER_DATA_KEY.pattern}"  # a key's value compares as text
    )
    ending_in_word, ending_closed = [], []
    eq_ne = _either(p.any_case("eq"), p.any_case("ne"))
    in_nin = _either(p.any_case("in"), p.any_case("nin"))
    for ((word, quoted), ops), names in groups.items():
        fields = _either(*names) + GAP
        any_op = _either(*(p.any_case(op) for op in ops))
        item = _either(word, quoted)
        listed = rf"{in_nin}{PAD}\({PAD}{item}(?:{PAD},{PAD}{item})*{PAD}\)"
        # eq/ne also take null; every operator takes the kind's word (never null).
        ending_in_word.append(fields + _either(f"{eq_ne}{GAP}{_NULL}", f"{any_op}{GAP}{word}"))
        ending_closed.append(fields + _either(f"{any_op}{PAD}{quoted}", listed))
    return _either(*ending_in_word), _either(*ending_closed)


_ENDING_IN_WORD, _ENDING_CLOSED = _conditions()
CONDITION = _either(_ENDING_IN_WORD, _ENDING_CLOSED)
FILTER = f"{PAD}(?:(?:{_ENDING_IN_WORD}{GAP}|{_ENDING_CLOSED}{PAD}){AND}{GAP})*{CONDITION}{PAD}"
