"""OpenAPI security schemes for our two authentication classes (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
