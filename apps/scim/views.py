"""SCIM 2.0 endpoints (RFC 7644): one APIView per shape, every change through the services."""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from typing import cast

import orjson
from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpResponse
from django.views import defaults
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder as DRFJSONEncoder
from rest_framework.views import APIView

from apps.audit.models import Channel as Source  # one Channel (audit.Channel) for both
from apps.audit.models import Refusal
from apps.audit.services import record_scim_request
from apps.groups import services as group_services
from apps.groups.models import Group, GroupMembership
from apps.roles.models import Role
from apps.roles.services import get_role_for
from apps.scim.authentication import (
    HasApiToken,
    ScimTokenAuthentication,
    TokenAuthenticationFailed,
)
from apps.scim.exceptions import (
    ScimError,
    body_too_large,
    error_body,
    scim_exception_handler,
    shown,
)
from apps.scim.filters import equality, filter_queryset
from apps.scim.mapping import USER
from apps.scim.parsers import SCIM_MEDIA_TYPE, BoundedJSONParser, ScimJSONParser
from apps.scim.patch import GroupDraft, UserDraft, members_for
from apps.scim.queries import compiled, get_by_public_id
from apps.scim.schemas import CORE_USER, RESOURCE_TYPES, SCHEMAS, SERVICE_PROVIDER_CONFIG
from apps.scim.serializers import (
    CONTACT_ROWS_SUFFIX,
    PatchOpSerializer,
    ResourceSerializer,
    contact_rows_json,
    etag,
    list_response,
    render_group,
    render_role,
    render_user,
    requests_attribute,
    select_attributes,
)
from apps.scim.throttling import ScimThrottling
from apps.tenants.hosts import tenant_subdomain_of_host
from apps.tenants.models import Tenant
from apps.tenants.transactions import single_transaction
from apps.tokens.models import ApiToken
from apps.users import services as user_services
from apps.users.models import MultiValuedAttribute, User, UserEmail, UserPhoneNumber


class ScimJSONRenderer(JSONRenderer):
    """application/scim+json written by orjson; DRF's encoder handles what orjson does not."""

    media_type = SCIM_MEDIA_TYPE
    charset = None
    fallback = DRFJSONEncoder().default

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=self.fallback)


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
        self.token = request.auth

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        fields = request_log_fields(
            request,
            response,
            token=getattr(self, "token", None),
            rejection=getattr(self, "rejection", None),
            started_at=getattr(self, "started_at", time.monotonic()),
        )
        if fields is not None:
            record_scim_request(**fields)
        return response

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


def request_log_fields(request, response, *, token, rejection, started_at) -> dict | None:
    """What the Provisioning tab keeps of one request, or None when no account can be named.

    A refused request is attributed to the token's account when the secret matched a token
    (revoked, Token Access off, another account's address ...), else to the account whose
    address was called; the secret itself is never kept. Never headers or bodies.
    """
    refusal = ""
    if token is None:
        refusal, token = (
            (rejection.refusal, rejection.token) if rejection else (Refusal.NO_TOKEN, None)
        )
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        refusal = Refusal.THROTTLED
    tenant_id = token.tenant_id if token is not None else _tenant_id_of_host(request.get_host())
    if tenant_id is None:
        return None
    detail = ""
    if response.status_code >= 400 and isinstance(response.data, dict):
        detail = str(response.data.get("detail", ""))
    return {
        "tenant_id": tenant_id,
        "token": token,
        "method": request.method,
        "path": request.get_full_path(),
        "status": response.status_code,
        "duration_ms": int((time.monotonic() - started_at) * 1000),
        "detail": detail,
        "refusal": refusal,
    }


def _tenant_id_of_host(host: str) -> int | None:
    subdomain = tenant_subdomain_of_host(host)
    if subdomain is None:
        return None
    return Tenant.objects.filter(subdomain=subdomain).values_list("id", flat=True).first()


# --- shared helpers ---


def resource_uuid(resource_id: str, kind: str) -> uuid.UUID:
    """Ids are UUIDs; anything else names no resource (404)."""
    try:
        return uuid.UUID(str(resource_id))
    except ValueError:
        raise ScimError(f'No {kind} with id "{resource_id}".', status_code=404) from None


def check_if_match(request, version: int) -> None:
    """Honour If-Match (RFC 7644 §3.14): "*" or the current ETag, else 412."""
    header = request.headers.get("If-Match")
    if not header:
        return
    tags = {tag.strip() for tag in header.split(",")}
    if "*" in tags or tags & {etag(version), f'"{version}"'}:
        return
    raise ScimError(
        f"The resource has changed: its version is {etag(version)}, not {header}. "
        "Read it again and retry.",
        status_code=status.HTTP_412_PRECONDITION_FAILED,
    )


# startIndex beyond a 32-bit integer cannot be a position in any list this server holds; the
# database would refuse it past 2**63 ("bigint out of range").
MAX_START_INDEX = 2**31 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _integer(name: str, raw: str) -> int:
    text = raw.strip()
    if not _INTEGER.fullmatch(text):
        raise ScimError(f'"{name}" must be an integer, not {shown(raw)}.', scim_type="invalidValue")
    if len(text.lstrip("+-").lstrip("0")) > 18:
        # Larger than any bound below; int() would take time on thousands of digits.
        return 10**19 if not text.startswith("-") else -(10**19)
    return int(text)


def paging(params: dict[str, str]) -> tuple[int, int]:
    """(startIndex, count) as RFC 7644 §3.4.2.4 reads them.

    startIndex is 1-based and below 1 counts as 1; count below 0 counts as 0 and above
    SCIM_MAX_PAGE_SIZE as SCIM_MAX_PAGE_SIZE (the maxResults of ServiceProviderConfig).
    A startIndex above MAX_START_INDEX, or either one not a decimal integer, is invalidValue.
    """
    values = {}
    for name, label, default in (
        ("startindex", "startIndex", 1),
        ("count", "count", settings.SCIM_MAX_PAGE_SIZE),
    ):
        raw = params.get(name)
        values[name] = default if raw is None or raw == "" else _integer(label, raw)
    if values["startindex"] > MAX_START_INDEX:
        raise ScimError(
            f'"startIndex" must be at most {MAX_START_INDEX}.', scim_type="invalidValue"
        )
    start = max(1, values["startindex"])
    count = min(max(0, values["count"]), settings.SCIM_MAX_PAGE_SIZE)
    return start, count


def list_page(
    view: ScimView,
    scoped: Callable[[Tenant | int], QuerySet],
    resource: str,
    serialize,
    *,
    shape: tuple = (),
    count_all=None,
) -> Response:
    """One page of `scoped(tenant)`, filtered; `count_all()` gives the unfiltered total without a
    COUNT(*). An unfiltered page, and a filter that is one `attribute eq "text"`, run a query
    compiled once per process (apps.scim.queries); `shape` tells apart what `scoped` builds."""
    params = view.params()
    filter_text = params.get("filter")
    start, count = paging(params)
    page = slice(start - 1, start - 1 + count)

    def matching(tenant, value=None):
        queryset = scoped(tenant)
        if lookup is not None:
            return queryset.filter(lookup.q(value))
        return filter_queryset(queryset, filter_text, resource) if filter_text else queryset

    lookup, value = (equality(filter_text, resource) if filter_text else None) or (None, None)
    if not count:
        rows = []
    elif filter_text and lookup is None:
        rows = list(matching(view.tenant)[page])
    elif lookup is None:
        query = compiled(
            (resource, *shape, start, count), lambda tenant: scoped(tenant)[page], tenant=int
        )
        rows = query(tenant=view.tenant.pk)
    else:
        query = compiled(
            (resource, *shape, lookup.key, start, count),
            lambda tenant, value: matching(tenant, value)[page],
            tenant=int,
            value=str,
        )
        rows = query(tenant=view.tenant.pk, value=value)
    if len(rows) < count and (rows or start == 1):
        # A short page is the last one, so it tells the total without a COUNT(*).
        total = start - 1 + len(rows)
    elif count_all is not None and not filter_text:
        total = count_all()
    else:
        total = matching(view.tenant, value).count()
    resources = [view.shaped(serialize(row)) for row in rows]
    return Response(list_response(resources, total=total, start_index=start))


def with_etag(response: Response, version: int) -> Response:
    response["ETag"] = etag(version)
    return response


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


class RootSearchView(ScimView):
    """Searching several resource types at once (RFC 7644 §3.4.3) is not offered: 501 says so."""

    def handle(self, request, *args, **kwargs):
        raise ScimError(
            "Searching several resource types at once is not supported; "
            "use /Users/.search, /Groups/.search or /Roles/.search.",
            status_code=501,
        )

    get = post = handle


class UnknownEndpointView(ScimView):
    """Anything else under /scim/v2/ is a SCIM 404, not an HTML page."""

    def handle(self, request, *args, **kwargs):
        raise ScimError(f'"{request.path}" is not a SCIM endpoint of this server.', status_code=404)

    get = post = put = patch = delete = handle


# --- Users ---


# What a SCIM User shows and the services read: not the password, login or staff columns,
# and of the manager only what the manager attribute shows.
USER_COLUMNS = (
    *USER.columns(),
    "public_id",
    "tenant",
    "manager",
    "role",
    "custom_role",
    "version",
    "created_at",
    "modified_at",
    "manager__public_id",
    "manager__user_name",
    "manager__display_name",
)


# The user's emails or phone numbers as one JSON array of [id, value, type, primary, display]
# in id order: a column of the user query instead of a prefetch query each. SQLite reads the
# rows through the user_id index, so in id order too.
CONTACT_ROWS_SQL = {
    "postgresql": (
        '(SELECT COALESCE(json_agg(json_build_array(r.id, r.value, r.type, r."primary", '
        "r.display) ORDER BY r.id), '[]') FROM {table} r "
        'WHERE r.user_id = "users_user"."id")'
    ),
    "sqlite": (
        '(SELECT json_group_array(json_array(r.id, r.value, r.type, r."primary", r.display)) '
        'FROM {table} r WHERE r.user_id = "users_user"."id")'
    ),
}


def _contact_rows_sql(model) -> RawSQL:
    # Only the model's own table name goes into the text; there are no parameters.
    table = connection.ops.quote_name(model._meta.db_table)
    return RawSQL(CONTACT_ROWS_SQL[connection.vendor].format(table=table), ())  # noqa: S611


def users_queryset():
    return (
        User.objects.select_related("manager", "custom_role")
        .only(*USER_COLUMNS)
        .annotate(
            **{
                "emails" + CONTACT_ROWS_SUFFIX: _contact_rows_sql(UserEmail),
                "phone_numbers" + CONTACT_ROWS_SUFFIX: _contact_rows_sql(UserPhoneNumber),
            }
        )
        .order_by("pk")
    )


def with_contact_rows(user: User) -> User:
    """Turn the JSON columns of users_queryset() into user.emails / user.phone_numbers."""
    contact_models: tuple[tuple[str, type[UserEmail] | type[UserPhoneNumber]], ...] = (
        ("emails", UserEmail),
        ("phone_numbers", UserPhoneNumber),
    )
    for field, model in contact_models:
        items = contact_rows_json(user, field)
        if items is None:
            continue
        rows: list[MultiValuedAttribute] = [
            model(
                id=row_id,
                tenant_id=cast(int, user.tenant_id),  # a SCIM user always has one
                user_id=user.pk,
                value=value,
                type=kind,
                primary=bool(primary),
                display=display,
            )
            for row_id, value, kind, primary, display in items
        ]
        for row in rows:
            row._state.adding = False
        user_services.remember_rows(user, field, rows)
    return user


def user_response(view: ScimView, user: User, status_code=status.HTTP_200_OK) -> Response:
    """The user as the services left it: written rows are in memory, nothing is read back."""
    resource = render_user(user, view.request)
    return with_etag(Response(view.shaped(resource), status=status_code), user.version)


class UserCollectionView(ScimView):
    def get(self, request):
        # A page renders emails and phone numbers from the query's JSON columns as they are.
        return list_page(
            self,
            lambda tenant: users_queryset().for_tenant(tenant),
            "User",
            lambda user: render_user(user, request),
            count_all=lambda: User.objects.count_for(self.tenant),
        )

    def post(self, request):
        body = self.body(ResourceSerializer)
        draft = UserDraft(self.tenant)
        draft.apply_resource(body)
        user = user_services.create_user(
            tenant=self.tenant,
            actor=request.auth,
            attributes=draft.finish_create(),
            source=Source.SCIM,
        )
        response = user_response(self, user, status.HTTP_201_CREATED)
        response["Location"] = response.data["meta"]["location"]
        return response


class UserSearchView(SearchMixin, UserCollectionView):
    pass


class UserView(ScimView):
    def get_user(self, user_id, *, lock: bool = False) -> User:
        def unscoped():
            queryset = users_queryset()
            return queryset.select_for_update(of=("self",)) if lock else queryset

        public_id = resource_uuid(user_id, "User")
        user = get_by_public_id(("User", lock), unscoped, self.tenant, public_id)
        return with_contact_rows(user)

    def get(self, request, user_id):
        return user_response(self, self.get_user(user_id))

    def put(self, request, user_id):
        body = self.body(ResourceSerializer)
        with single_transaction():
            user = self.get_user(user_id, lock=True)
            check_if_match(request, user.version)
            draft = UserDraft(self.tenant, replacing=user)
            draft.apply_resource(body)
            user = user_services.update_user(
                tenant=self.tenant,
                actor=request.auth,
                user=user,
                attributes=draft.finish_replace(),
            )
        return user_response(self, user)

    def patch(self, request, user_id):
        operations = self.body(PatchOpSerializer)
        with single_transaction():
            user = self.get_user(user_id, lock=True)
            check_if_match(request, user.version)
            draft = UserDraft(self.tenant, user)
            for operation in operations:
                draft.apply_operation(operation)
            changes = draft.changes()
            if changes:
                user = user_services.update_user(
                    tenant=self.tenant, actor=request.auth, user=user, attributes=changes
                )
        return user_response(self, user)

    def delete(self, request, user_id):
        with single_transaction():
            user = self.get_user(user_id, lock=True)
            check_if_match(request, user.version)
            user_services.delete_user(tenant=self.tenant, actor=request.auth, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Groups ---


def groups_queryset(*, members: bool):
    queryset = Group.objects.order_by("pk")
    if members:
        queryset = queryset.prefetch_related(
            Prefetch(
                "memberships",
                queryset=GroupMembership.objects.select_related("user").order_by("pk"),
            )
        )
    return queryset


def save_group(view: ScimView, group: Group, draft: GroupDraft) -> Group:
    """The draft's name, then its member changes in order, through the group services."""
    tenant, actor = view.tenant, view.api_token
    group = group_services.update_group(
        tenant=tenant,
        actor=actor,
        group=group,
        display_name=draft.display_name,
        external_id=draft.external_id,
    )
    draft.save_members(tenant=tenant, actor=actor, group=group)
    return group


def group_for(view: ScimView, group_id, *, members: bool = False, lock: bool = False) -> Group:
    def unscoped():
        queryset = groups_queryset(members=members)
        return queryset.select_for_update() if lock else queryset

    public_id = resource_uuid(group_id, "Group")
    return get_by_public_id(("Group", members, lock), unscoped, view.tenant, public_id)


def group_response(view: ScimView, group_id, status_code=status.HTTP_200_OK) -> Response:
    """The group as stored, members loaded only when the response will show them."""
    params = view.params()
    members = requests_attribute(
        params.get("attributes"), params.get("excludedattributes"), "members"
    )
    group = group_for(view, group_id, members=members)
    resource = view.shaped(render_group(group, view.request, members=members))
    return with_etag(Response(resource, status=status_code), group.version)


class GroupCollectionView(ScimView):
    def get(self, request):
        params = self.params()
        members = requests_attribute(
            params.get("attributes"), params.get("excludedattributes"), "members"
        )
        return list_page(
            self,
            lambda tenant: groups_queryset(members=members).for_tenant(tenant),
            "Group",
            lambda group: render_group(group, request, members=members),
            shape=(members,),
            count_all=lambda: Group.objects.count_for(self.tenant),
        )

    def post(self, request):
        body = self.body(ResourceSerializer)
        draft = GroupDraft()
        draft.apply_resource(body)
        with single_transaction():
            group = group_services.create_group(
                tenant=self.tenant,
                actor=request.auth,
                display_name=draft.display_name,
                external_id=draft.external_id,
                members=members_for(self.tenant, draft.initial_member_ids(), strict=True),
            )
        response = group_response(self, group.public_id, status.HTTP_201_CREATED)
        response["Location"] = response.data["meta"]["location"]
        return response


class GroupSearchView(SearchMixin, GroupCollectionView):
    pass


class GroupView(ScimView):
    def get(self, request, group_id):
        return group_response(self, group_id)

    def put(self, request, group_id):
        body = self.body(ResourceSerializer)
        with single_transaction():
            group = group_for(self, group_id, lock=True)
            check_if_match(request, group.version)
            draft = GroupDraft()
            draft.apply_resource(body)
            draft.replacing_members()
            group = save_group(self, group, draft)
        return group_response(self, group_id)

    def patch(self, request, group_id):
        operations = self.body(PatchOpSerializer)
        with single_transaction():
            group = group_for(self, group_id, lock=True)
            check_if_match(request, group.version)
            draft = GroupDraft(group)
            for operation in operations:
                draft.apply_operation(operation)
            group = save_group(self, group, draft)
        params = self.params()
        if "attributes" in params or "excludedattributes" in params:
            return group_response(self, group_id)
        # Entra wants 204 for group updates; a body listing every member is not advisable.
        return with_etag(Response(status=status.HTTP_204_NO_CONTENT), group.version)

    def delete(self, request, group_id):
        with single_transaction():
            group = group_for(self, group_id, lock=True)
            check_if_match(request, group.version)
            group_services.delete_group(tenant=self.tenant, actor=request.auth, group=group)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Roles (read-only) ---


class RoleCollectionView(ScimView):
    def get(self, request):
        return list_page(
            self,
            lambda tenant: Role.objects.for_tenant(tenant).order_by("pk"),
            "Role",
            lambda role: render_role(role, request),
        )


class RoleSearchView(SearchMixin, RoleCollectionView):
    pass


class RoleView(ScimView):
    def get(self, request, role_id):
        role = get_role_for(self.tenant, resource_uuid(role_id, "Role"))
        return Response(self.shaped(render_role(role, request)))


# --- Discovery ---


def _absolute(request, resource: dict) -> dict:
    resource = copy.deepcopy(resource)
    resource["meta"]["location"] = request.build_absolute_uri(resource["meta"]["location"])
    return resource


def _discovery_list(request, resources: list[dict]) -> Response:
    resources = [_absolute(request, r) for r in resources]
    return Response(list_response(resources, total=len(resources), start_index=1))


class ServiceProviderConfigView(ScimView):
    def get(self, request):
        return Response(service_provider_config(request))


def service_provider_config(request) -> dict:
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG],
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


class ResourceTypeCollectionView(ScimView):
    def get(self, request):
        return _discovery_list(request, list(RESOURCE_TYPES.values()))


class ResourceTypeView(ScimView):
    def get(self, request, name):
        resource = next(
            (r for key, r in RESOURCE_TYPES.items() if key.lower() == name.lower()), None
        )
        if resource is None:
            raise ScimError(f'No resource type "{name}".', status_code=404)
        return Response(_absolute(request, resource))


def schemas_for(tenant) -> dict[str, dict]:
    """The schemas, with the tenant's role values as the canonical values of roles.value."""
    schemas = copy.deepcopy(SCHEMAS)
    roles = next(a for a in schemas[CORE_USER]["attributes"] if a["name"] == "roles")
    value = next(a for a in roles["subAttributes"] if a["name"] == "value")
    value["canonicalValues"] = [role.value for role in Role.objects.for_tenant(tenant)]
    return schemas


class SchemaCollectionView(ScimView):
    def get(self, request):
        return _discovery_list(request, list(schemas_for(self.tenant).values()))


class SchemaView(ScimView):
    def get(self, request, schema_id):
        schemas = schemas_for(self.tenant)
        resource = next((s for key, s in schemas.items() if key.lower() == schema_id.lower()), None)
        if resource is None:
            raise ScimError(f'No schema "{schema_id}".', status_code=404)
        return Response(_absolute(request, resource))


# --- errors raised before a SCIM view runs ---

SCIM_PREFIX = "/scim/"


def _scim_error_page(status_code: int, detail: str) -> HttpResponse:
    return HttpResponse(
        json.dumps(error_body(status_code, detail), separators=(",", ":")),
        status=status_code,
        content_type=SCIM_MEDIA_TYPE,
    )


def bad_request(request, exception):
    """handler400: a Host header outside ALLOWED_HOSTS and other refusals of Django's own."""
    if not request.path.startswith(SCIM_PREFIX):
        return defaults.bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        detail = "The Host header names a host this server does not answer to."
    elif isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        detail = f"The request has more than {limit} query parameters."
    elif isinstance(exception, RequestDataTooBig):
        return _scim_error_page(413, str(body_too_large().detail))
    else:
        detail = "The request was refused as malformed."
    return _scim_error_page(400, detail)


def server_error(request):
    """handler500: still a SCIM error body for a SCIM client (the error is logged as usual)."""
    if not request.path.startswith(SCIM_PREFIX):
        return defaults.server_error(request)
    return _scim_error_page(500, "The server failed to answer this request; it has been logged.")
