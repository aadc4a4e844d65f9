"""OpenAPI security schemes for our authentication classes (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter


class BasicAuthScheme(OpenApiAuthenticationExtension):
    target_class = "calls.plivo.auth.AccountBasicAuthentication"
    name = "plivoBasicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "User name: the account's auth id; password: its auth token.",
        }


class BearerAuthScheme(OpenApiAuthenticationExtension):
    target_class = "calls.carrierx.auth.BearerAuthentication"
    name = "carrierxBearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token minted with create_token or in the admin; scopes "
            "calls.read or calls.manage, plus calls.read_descendant for accounts below.",
        }


class WriteAuthScheme(OpenApiAuthenticationExtension):
    """The ingest endpoints: a calls.write token, as a Basic password or a Bearer token
    (either one: a list of requirements is an OR)."""

    target_class = "calls.ingest.auth.WriteAuthentication"
    name = ["ingestBasicAuth", "ingestBearerAuth"]

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "basic",
                "description": "User name: the account's auth id; password: a calls.write "
                "token (what FreeSWITCH's cred= and Kamailio's http_client send).",
            },
            {
                "type": "http",
                "scheme": "bearer",
                "description": "A token with the calls.write scope (create_token AUTH_ID "
                "--scopes calls.write).",
            },
        ]


class EnvelopeAutoSchema(AutoSchema):
    """Our list endpoints answer with an envelope object (meta + objects, or items +
    pagination), never a bare array: don't let the `list` action name wrap it in one."""

    def _is_list_view(self, serializer=None) -> bool:
        return False

    def get_operation_id(self) -> str:
        # Named by the action, not guessed from the response: list and retrieve differ.
        tokens = [token.replace("-", "_") for token in self._tokenize_path()]
        return "_".join([*tokens, getattr(self.view, "action", None) or self.method.lower()])


def query_param(name: str, kind, description: str, **kwargs) -> OpenApiParameter:
    """A documented query parameter (both faces describe theirs this way)."""
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=description, **kwargs)


def describe(text: str, *rules) -> str:
    """A description, then the rules (calls/query/rules.py) the schema itself cannot state."""
    if not rules:
        return text
    return text + "\n\nBeyond this schema (a 400 if broken): " + " ".join(r.says for r in rules)
