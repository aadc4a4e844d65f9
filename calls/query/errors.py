"""The one error vocabulary of the read path. Parsers and the core raise these; each face
only renders them in its own body (`{api_id, error}` or `{message, errors}`), in
cdrapi/faces.py."""

from __future__ import annotations

from cdrapi.faces import Refusal


class QueryError(Refusal):
    """A request the contract refuses: 400, naming the parameter at fault."""


class NotFound(QueryError):
    """Nothing the caller may see answers to this path: 404, whether or not it exists."""

    status = 404
