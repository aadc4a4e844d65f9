"""The one error vocabulary of the read path. Parsers and the core raise these; each face
only renders them in its own body (`{api_id, error}` or `{message, errors}`), in
cdrapi/faces.py."""

from __future__ import annotations


class QueryError(Exception):
    """A request the contract refuses: 400, naming the parameter at fault."""

    status = 400

    def __init__(self, message: str, param: str = "request") -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class NotFound(QueryError):
    """Nothing the caller may see answers to this path: 404, whether or not it exists."""

    status = 404
