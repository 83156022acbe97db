from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions, permissions

from apps.tokens.auth import TokenRejected, authenticate_token


class ScimTokenAuthentication(authentication.BaseAuthentication):
    """request.auth is the ApiToken (and so the tenant); the caller is a client, not a person."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        try:
            token = authenticate_token(header=header, host=request.get_host())
        except TokenRejected as error:
            failure = exceptions.AuthenticationFailed(str(error))
            # The view logs the refused request under the account the token names.
            failure.rejection = error
            raise failure from None
        return AnonymousUser(), token

    def authenticate_header(self, request):
        return 'Bearer realm="scim"'


class HasApiToken(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.auth is not None
