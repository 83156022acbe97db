from django.conf import settings
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.scim.authentication import HasApiToken, ScimTokenAuthentication
from apps.scim.exceptions import scim_exception_handler

SCIM_MEDIA_TYPE = "application/scim+json"


class ScimJSONParser(JSONParser):
    media_type = SCIM_MEDIA_TYPE


class ScimJSONRenderer(JSONRenderer):
    media_type = SCIM_MEDIA_TYPE
    charset = None


class ScimView(APIView):
    authentication_classes = [ScimTokenAuthentication]
    permission_classes = [HasApiToken]
    parser_classes = [ScimJSONParser, JSONParser]
    renderer_classes = [ScimJSONRenderer]

    def get_exception_handler(self):
        return scim_exception_handler

    def perform_content_negotiation(self, request, force=False):
        # SCIM answers application/scim+json whatever the Accept header asks for.
        renderer = self.renderer_classes[0]()
        return renderer, renderer.media_type


class ServiceProviderConfigView(ScimView):
    def get(self, request):
        return Response(service_provider_config(request))


def service_provider_config(request) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": request.build_absolute_uri("/"),
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": settings.SCIM_MAX_PAGE_SIZE},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "API token",
                "description": "Authorization: Bearer <API token> from Settings → API.",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": request.build_absolute_uri("/scim/v2/ServiceProviderConfig"),
        },
    }
