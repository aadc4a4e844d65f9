"""JSON bodies by orjson: the same JSON as DRF's JSONRenderer (compact, UTF-8, keys in
order), written by compiled code; anything orjson does not know natively (Decimal, lazy
strings) goes through DRF's own encoder, so no value is written differently. And the
content negotiation of a view that writes only JSON."""

from __future__ import annotations

import orjson
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder().default
# Dates and dataclasses as DRF writes them (orjson's own forms differ).
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_fallback, option=_OPTIONS)


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with the Accept headers clients send (none, `*/*`, the
    renderer's own type) answered without parsing them: DRF's choice for those is the one
    renderer and its type. Anything else, a `format` parameter or a suffix, goes to DRF."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1 and not format_suffix:
            renderer = renderers[0]
            accept = request.META.get("HTTP_ACCEPT", "*/*")
            override = self.settings.URL_FORMAT_OVERRIDE
            if accept in ("*/*", renderer.media_type) and override not in request.query_params:
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)
