"""ScimView, the APIView every SCIM endpoint is (with its shared answers), and .search."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import cast

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.services import record_scim_request
from apps.metrics import REFUSED_REQUESTS, SCIM_LATENCY, SCIM_REQUESTS
from apps.scim.authentication import HasApiToken, ScimTokenAuthentication, TokenAuthenticationFailed
from apps.scim.exceptions import ScimError, scim_exception_handler
from apps.scim.media import SCIM_PATH
from apps.scim.paging import list_page
from apps.scim.parsers import BoundedJSONParser, ScimJSONParser
from apps.scim.renderers import ScimJSONRenderer
from apps.scim.request_attribution import refusal_of, request_log_fields
from apps.scim.resources import get_group, with_etag
from apps.scim.serializers import (
    ResourceSerializer,
    render_group,
    render_user,
    requests_attribute,
    select_attributes,
)
from apps.scim.throttling import ScimThrottling
from apps.tokens.models import ApiToken


class ScimView(ScimThrottling, APIView):
    authentication_classes = [ScimTokenAuthentication]
    permission_classes = [HasApiToken]
    parser_classes = [ScimJSONParser, BoundedJSONParser]
    renderer_classes = [ScimJSONRenderer]
    # OPTIONS is no SCIM method: without metadata DRF answers it 405 instead of describing
    # the view's parsers and renderers.
    metadata_class = None

    def get_exception_handler(self):
        return scim_exception_handler

    def perform_content_negotiation(self, request, force=False):
        # SCIM answers application/scim+json whatever the Accept header asks for.
        renderer = self.renderer_classes[0]()
        return renderer, renderer.media_type

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # Django's request, which outlives this view: the request log names the caller from it.
        self.http_request = request
        request.api_token = None

    def initial(self, request, *args, **kwargs):
        self.started_at = time.monotonic()
        self.token = None
        self.rejection = None
        super().initial(request, *args, **kwargs)
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not request.META.get("CONTENT_LENGTH"):
            # WSGI reads no body without a Content-Length: the body would be taken as empty.
            raise ScimError(
                "Send the body with a Content-Length header; a chunked body is not read.",
                status_code=status.HTTP_411_LENGTH_REQUIRED,
            )

    def perform_authentication(self, request):
        try:
            super().perform_authentication(request)
        except TokenAuthenticationFailed as error:
            self.rejection = error.rejection
            raise
        self.token = self.http_request.api_token = request.auth

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        token, rejection = getattr(self, "token", None), getattr(self, "rejection", None)
        started_at = getattr(self, "started_at", time.monotonic())
        fields = request_log_fields(
            request, response, token=token, rejection=rejection, started_at=started_at
        )
        if fields is not None:
            record_scim_request(**fields)
        refusal = refusal_of(response, token=token, rejection=rejection)
        self.count(request, response, refusal=refusal)
        return response

    def count(self, request, response, *, refusal: str) -> None:
        """The request in /metrics: by method, resource type (the route's first part, from a
        fixed list) and status class; its latency; why it was refused, if it was."""
        route = request.resolver_match.route if request.resolver_match else ""
        resource = route.removeprefix(SCIM_PATH.lstrip("/")).split("/")[0] or "root"
        if not resource.replace(".", "").isalpha():
            resource = "other"  # the unknown-endpoint pattern
        SCIM_REQUESTS.labels(request.method, resource, f"{response.status_code // 100}xx").inc()
        SCIM_LATENCY.labels(request.method, resource).observe(
            time.monotonic() - getattr(self, "started_at", time.monotonic())
        )
        if refusal:
            REFUSED_REQUESTS.labels("scim", str(refusal)).inc()

    @property
    def api_token(self) -> ApiToken:
        # HasApiToken has let the request in, so request.auth is our ApiToken.
        return cast(ApiToken, self.request.auth)

    @property
    def tenant(self):
        return self.api_token.tenant

    def params(self) -> dict[str, str]:
        """Query parameters by lower-case name; unknown ones (?aadOptscim062020) are ignored."""
        search = getattr(self, "search_params", None)
        if search is not None:
            return search
        return {key.lower(): str(value) for key, value in self.request.query_params.items()}

    def body(self, serializer_class):
        if not isinstance(self.request.data, dict):
            # Checked here, as DRF answers a JSON null body with its own "No data provided".
            raise ScimError("The body must be a JSON object.", scim_type="invalidSyntax")
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def shaped(self, resource: dict) -> dict:
        params = self.params()
        return select_attributes(
            resource, params.get("attributes"), params.get("excludedattributes")
        )

    def page(self, scope, resource: str, render, *, count_all=None, prepared=None) -> Response:
        page = list_page(
            self.params(),
            scope,
            resource,
            lambda row: self.shaped(render(row)),
            count_all=count_all,
            prepared=prepared,
        )
        return Response(page)

    def user_response(self, user, status_code=status.HTTP_200_OK) -> Response:
        """The user as the services left it: written rows are in memory, nothing is read back."""
        resource = self.shaped(render_user(user, self.request))
        return with_etag(Response(resource, status=status_code), user.version)

    def group_response(self, group_id, status_code=status.HTTP_200_OK) -> Response:
        """The group as stored, members loaded only when the response will show them."""
        members = self.shows_members()
        group = get_group(self.tenant, group_id, members=members)
        resource = self.shaped(render_group(group, self.request, members=members))
        return with_etag(Response(resource, status=status_code), group.version)

    def shows_members(self) -> bool:
        params = self.params()
        return requests_attribute(
            params.get("attributes"), params.get("excludedattributes"), "members"
        )


class SearchMixin:
    """POST <collection>/.search (RFC 7644 §3.4.3): the query parameters in a SearchRequest body."""

    http_method_names: Sequence[str] = ["post", "options"]
    # Provided by the collection view this is mixed into (UserCollectionView, GroupCollectionView).
    body: Callable[..., dict]
    get: Callable[..., Response]

    def post(self, request):
        body = self.body(ResourceSerializer)
        params = {}
        for key, value in body.items():
            key = str(key).lower()
            if key in ("attributes", "excludedattributes") and isinstance(value, list):
                value = ",".join(str(v) for v in value)
            if key not in ("filter", "attributes", "excludedattributes", "startindex", "count"):
                continue
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise ScimError(f'"{key}" must be a string or a number.', scim_type="invalidValue")
            params[key] = str(value)
        self.search_params = params
        return self.get(request)
