"""JSON bodies by orjson: the same JSON as DRF's JSONRenderer (compact, UTF-8, keys in
order), written by compiled code; anything orjson does not know natively (Decimal, lazy
strings) goes through DRF's own encoder, so no value is written differently."""

from __future__ import annotations

import orjson
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
