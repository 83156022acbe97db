from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions, permissions

from apps.tokens.auth import TokenRejected, authenticate_token


class TokenAuthenticationFailed(exceptions.AuthenticationFailed):
    """A 401 that keeps why the token was refused, for the request log."""

    def __init__(self, rejection: TokenRejected):
        super().__init__(str(rejection))
        self.rejection = rejection


class ScimTokenAuthentication(authentication.BaseAuthentication):
    """request.auth is the ApiToken (and so the tenant); the caller is a client, not a person.

    DRF authenticates before it throttles, so a refused token never reaches the token's
    rate limit (apps/scim/throttling.py).
    """

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        try:
            token = authenticate_token(header=header, host=request.get_host())
        except TokenRejected as error:
            # The view logs the refused request under the account the token names.
            raise TokenAuthenticationFailed(error) from None
        return AnonymousUser(), token

    def authenticate_header(self, request):
        return 'Bearer realm="scim"'


class HasApiToken(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.auth is not None
