"""SCIM 2.0 endpoints (RFC 7644): one APIView per shape, every change through the services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from rest_framework import status
from rest_framework.response import Response

from apps.audit.models import Channel as Source  # one Channel (audit.Channel) for both
from apps.groups import services as group_services
from apps.groups.models import Group
from apps.roles.models import Role
from apps.roles.services import get_role_for
from apps.scim import discovery
from apps.scim.base import ScimView, SearchMixin
from apps.scim.exceptions import ScimError
from apps.scim.paging import PreparedReads
from apps.scim.patch import GroupDraft, UserDraft
from apps.scim.prepared_lookups import groups_named, users_named
from apps.scim.resources import (
    check_if_match,
    get_group,
    get_user,
    resource_uuid,
    scim_users,
    with_etag,
)
from apps.scim.schemas import RESOURCE_TYPES
from apps.scim.serializers import (
    PatchOpSerializer,
    ResourceSerializer,
    render_group,
    render_role,
    render_user,
)
from apps.tenants.transactions import single_transaction
from apps.users import services as user_services
from apps.users.models import User


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


class UserCollectionView(ScimView):
    def get(self, request):
        return self.page(
            lambda: scim_users(self.tenant),
            "User",
            lambda user: render_user(user, request),
            count_all=lambda: User.objects.count_for(self.tenant),
            prepared=PreparedReads(
                "username",
                lambda name, start, count: users_named(self.tenant, name, start=start, count=count),
            ),
        )

    def post(self, request):
        body = self.body(ResourceSerializer)
        draft = UserDraft(self.tenant)
        draft.apply_resource(body)
        attributes = draft.finish_create()
        try:
            user = user_services.create_user(
                tenant=self.tenant, actor=request.auth, attributes=attributes, source=Source.SCIM
            )
        except ValidationError as error:
            user = self.adopt_signed_in_agent(request, body, attributes, error)
        response = self.user_response(user, status.HTTP_201_CREATED)
        response["Location"] = response.data["meta"]["location"]
        return response

    def adopt_signed_in_agent(self, request, body, attributes, error: ValidationError) -> User:
        """Entra provisions a person single sign-on created on first sign-in: the same user,
        matched by userName, takes the request's attributes (as a PUT) instead of a 409.
        Any other clash, or any other refusal, stands."""
        taken = user_services.find_user_by_name(self.tenant, attributes.get("user_name", ""))
        if getattr(error, "code", None) != "unique" or taken is None:
            raise error
        if taken.source != Source.SSO:
            raise error
        with single_transaction():
            user = get_user(self.tenant, str(taken.public_id), lock=True)
            draft = UserDraft(self.tenant, replacing=user)
            draft.apply_resource(body)
            return user_services.update_user(
                tenant=self.tenant,
                actor=request.auth,
                user=user,
                attributes=draft.finish_replace(),
            )


class UserSearchView(SearchMixin, UserCollectionView):
    pass


class UserView(ScimView):
    def get(self, request, user_id):
        return self.user_response(get_user(self.tenant, user_id))

    def put(self, request, user_id):
        body = self.body(ResourceSerializer)
        with single_transaction():
            user = get_user(self.tenant, user_id, lock=True)
            check_if_match(request, user.version)
            draft = UserDraft(self.tenant, replacing=user)
            draft.apply_resource(body)
            user = user_services.update_user(
                tenant=self.tenant,
                actor=request.auth,
                user=user,
                attributes=draft.finish_replace(),
            )
        return self.user_response(user)

    def patch(self, request, user_id):
        operations = self.body(PatchOpSerializer)
        with single_transaction():
            user = get_user(self.tenant, user_id, lock=True)
            check_if_match(request, user.version)
            draft = UserDraft(self.tenant, user)
            for operation in operations:
                draft.apply_operation(operation)
            changes = draft.changes()
            if changes:
                user = user_services.update_user(
                    tenant=self.tenant, actor=request.auth, user=user, attributes=changes
                )
        return self.user_response(user)

    def delete(self, request, user_id):
        with single_transaction():
            user = get_user(self.tenant, user_id, lock=True)
            check_if_match(request, user.version)
            user_services.delete_user(tenant=self.tenant, actor=request.auth, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Groups ---


class GroupCollectionView(ScimView):
    def get(self, request):
        members = self.shows_members()
        return self.page(
            lambda: Group.objects.for_scim(self.tenant, members=members),
            "Group",
            lambda group: render_group(group, request, members=members),
            count_all=lambda: Group.objects.count_for(self.tenant),
            prepared=PreparedReads(
                "displayname",
                lambda name, start, count: groups_named(
                    self.tenant, name, start=start, count=count, members=members
                ),
            ),
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
                members=group_services.find_members(
                    self.tenant, draft.initial_member_ids(), strict=True
                ),
            )
        response = self.group_response(group.public_id, status.HTTP_201_CREATED)
        response["Location"] = response.data["meta"]["location"]
        return response


class GroupSearchView(SearchMixin, GroupCollectionView):
    pass


class GroupView(ScimView):
    def save(self, group: Group, draft: GroupDraft) -> Group:
        """The draft's name, then its member changes in order, through the group services."""
        group = group_services.update_group(
            tenant=self.tenant,
            actor=self.api_token,
            group=group,
            display_name=draft.display_name,
            external_id=draft.external_id,
        )
        group_services.change_members(
            tenant=self.tenant, actor=self.api_token, group=group, changes=draft.member_changes
        )
        return group

    def get(self, request, group_id):
        return self.group_response(group_id)

    def put(self, request, group_id):
        body = self.body(ResourceSerializer)
        with single_transaction():
            group = get_group(self.tenant, group_id, lock=True)
            check_if_match(request, group.version)
            draft = GroupDraft()
            draft.apply_resource(body)
            draft.replacing_members()
            group = self.save(group, draft)
        return self.group_response(group_id)

    def patch(self, request, group_id):
        operations = self.body(PatchOpSerializer)
        with single_transaction():
            group = get_group(self.tenant, group_id, lock=True)
            check_if_match(request, group.version)
            draft = GroupDraft(group)
            for operation in operations:
                draft.apply_operation(operation)
            group = self.save(group, draft)
        params = self.params()
        if "attributes" in params or "excludedattributes" in params:
            return self.group_response(group_id)
        # Entra wants 204 for group updates; a body listing every member is not advisable.
        return with_etag(Response(status=status.HTTP_204_NO_CONTENT), group.version)

    def delete(self, request, group_id):
        with single_transaction():
            group = get_group(self.tenant, group_id, lock=True)
            check_if_match(request, group.version)
            group_services.delete_group(tenant=self.tenant, actor=request.auth, group=group)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Roles (read-only) ---


class RoleCollectionView(ScimView):
    def get(self, request):
        return self.page(
            lambda: Role.objects.for_tenant(self.tenant).order_by("pk"),
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


class ServiceProviderConfigView(ScimView):
    def get(self, request):
        return Response(discovery.service_provider_config(request))


class ResourceTypeCollectionView(ScimView):
    def get(self, request):
        return Response(discovery.discovery_list(request, list(RESOURCE_TYPES.values())))


class ResourceTypeView(ScimView):
    def get(self, request, name):
        resource = discovery.named(RESOURCE_TYPES, name)
        if resource is None:
            raise ScimError(f'No resource type "{name}".', status_code=404)
        return Response(discovery.absolute(request, resource))


class SchemaCollectionView(ScimView):
    def get(self, request):
        schemas = discovery.schemas_for(self.tenant)
        return Response(discovery.discovery_list(request, list(schemas.values())))


class SchemaView(ScimView):
    def get(self, request, schema_id):
        resource = discovery.named(discovery.schemas_for(self.tenant), schema_id)
        if resource is None:
            raise ScimError(f'No schema "{schema_id}".', status_code=404)
        return Response(discovery.absolute(request, resource))
