"""The CarrierX result-filter language: `field op value [and field op value …]`.

A small tokenizer and parser, no eval and no SQL: the result is a list of clauses
that calls/carrierx/conditions.py turns into the core's conditions on a whitelist of fields.
Grammar (keywords case-insensitive):

    filter    := condition ("and" condition)*
    condition := FIELD OP VALUE | FIELD ("in" | "nin") "(" VALUE ("," VALUE)* ")"
    VALUE     := bare word | 'single quoted' | "double quoted" | null

Inside quotes a doubled quote stands for itself ('O''Brien'). `or`, `not` and
parentheses outside an in-list are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from calls.query.errors import QueryError

OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "like", "ilike", "in", "nin")
MAX_LENGTH = 4000
MAX_CONDITIONS = 20
_PUNCT = "(),"


class FilterSyntaxError(QueryError):
    """A filter that does not parse; `field` names what the message is about."""

    def __init__(self, message: str, field: str = "filter") -> None:
        super().__init__(message, field)
        self.field = field


@dataclass(frozen=True)
class Token:
    text: str
    quoted: bool = False

    @property
    def word(self) -> str:
        return "" if self.quoted else self.text.lower()


@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    values: tuple[str | None, ...]  # None is the literal null; one value unless in/nin


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _PUNCT:
            tokens.append(Token(ch))
            i += 1
        elif ch in "'\"":
            quote, i, chars = ch, i + 1, []
            while True:
                if i >= n:
                    raise FilterSyntaxError(f"A {quote} quote is not closed.")
                if text[i] == quote:
                    if i + 1 < n and text[i + 1] == quote:  # doubled: a literal quote
                        chars.append(quote)
                        i += 2
                        continue
                    i += 1
                    break
                chars.append(text[i])
                i += 1
            tokens.append(Token("".join(chars), quoted=True))
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in _PUNCT + "'\"":
                i += 1
            tokens.append(Token(text[start:i]))
    return tokens


def parse(text: str) -> list[Clause]:
    if len(text) > MAX_LENGTH:
        raise FilterSyntaxError(f"The filter is longer than {MAX_LENGTH} characters.")
    if "\x00" in text:
        raise FilterSyntaxError("The filter contains a NUL character.")
    tokens = tokenize(text)
    if not tokens:
        raise FilterSyntaxError(
            "The filter is empty; write field op value, e.g. direction eq inbound."
        )
    conditions, pos = [], 0
    while True:
        condition, pos = _condition(tokens, pos)
        conditions.append(condition)
        if len(conditions) > MAX_CONDITIONS:
            raise FilterSyntaxError(f"A filter may combine at most {MAX_CONDITIONS} conditions.")
        if pos == len(tokens):
            return conditions
        joiner = tokens[pos]
        if joiner.word == "and":
            pos += 1
            if pos == len(tokens):
                raise FilterSyntaxError("The filter ends with 'and'; add a condition after it.")
            continue
        if joiner.word in {"or", "not"}:
            raise FilterSyntaxError(
                f"'{joiner.text}' is not supported: only 'and' combines conditions."
            )
        raise FilterSyntaxError(f"Expected 'and' after a condition, found {joiner.text[:40]!r}.")


def _condition(tokens: list[Token], pos: int) -> tuple[Clause, int]:
    field = tokens[pos]
    if field.quoted or field.text in _PUNCT:
        raise FilterSyntaxError(
            f"Expected a field name, found {field.text[:40]!r}"
            + (" (parentheses only enclose in/nin lists)." if field.text == "(" else ".")
        )
    if field.word in {"or", "not", "and"}:
        raise FilterSyntaxError(
            f"Expected a field name, found '{field.text}': only 'and' between conditions."
        )
    name = field.text
    if pos + 1 >= len(tokens):
        raise FilterSyntaxError(f"{name} needs an operator and a value.", name)
    op = tokens[pos + 1].word
    if op not in OPERATORS:
        raise FilterSyntaxError(
            f"Unknown operator {tokens[pos + 1].text[:40]!r} after {name}; use one of "
            f"{', '.join(OPERATORS)}.",
            name,
        )
    pos += 2
    if op in {"in", "nin"}:
        return _list(tokens, pos, name, op)
    if pos >= len(tokens) or (not tokens[pos].quoted and tokens[pos].text in _PUNCT):
        raise FilterSyntaxError(f"{name} {op} needs a value.", name)
    return Clause(name, op, (_value(tokens[pos]),)), pos + 1


def _list(tokens: list[Token], pos: int, name: str, op: str) -> tuple[Clause, int]:
    if pos >= len(tokens) or tokens[pos].quoted or tokens[pos].text != "(":
        raise FilterSyntaxError(f"{name} {op} needs a list in parentheses: (a,b,c).", name)
    pos += 1
    values: list[str | None] = []
    while True:
        if pos >= len(tokens):
            raise FilterSyntaxError(f"The list after {name} {op} is not closed with ')'.", name)
        token = tokens[pos]
        if not token.quoted and token.text in _PUNCT:
            raise FilterSyntaxError(f"The list after {name} {op} has an empty item.", name)
        values.append(_value(token))
        pos += 1
        if pos >= len(tokens):
            raise FilterSyntaxError(f"The list after {name} {op} is not closed with ')'.", name)
        sep = tokens[pos]
        pos += 1
        if not sep.quoted and sep.text == ")":
            return Clause(name, op, tuple(values)), pos
        if sep.quoted or sep.text != ",":
            raise FilterSyntaxError(
                f"Items of the list after {name} {op} are separated by commas.", name
            )


def _value(token: Token) -> str | None:
    return None if token.word == "null" else token.text
