"""application/scim+json out: the DRF renderer every SCIM view answers with."""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder as DRFJSONEncoder

from apps.scim.media import SCIM_MEDIA_TYPE


class ScimJSONRenderer(JSONRenderer):
    """application/scim+json written by orjson; DRF's encoder handles what orjson does not."""

    media_type = SCIM_MEDIA_TYPE
    charset = None
    fallback = DRFJSONEncoder().default

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=self.fallback)
