"""The product's own error pages: a 403 inside /admin/ in the admin's look, and the
product's 404 even when DEBUG is on (the quick start runs with DEBUG)."""

from django.conf import settings
from django.contrib import admin
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve
from django.views import defaults


def permission_denied(request, exception=None):
    """handler403: support staff in /admin/ stay in the admin; everyone else gets 403.html."""
    if request.path.startswith("/admin/"):
        context = {
            **admin.site.each_context(request),
            "title": "You cannot open this page",
            "message": str(exception or ""),
        }
        return TemplateResponse(request, "admin/403.html", context, status=403).render()
    return defaults.permission_denied(request, exception)


class ProductNotFoundMiddleware:
    """With DEBUG on, Django answers unknown pages with its technical 404 page, which shows
    every URL pattern; this answers them with templates/404.html, as production does."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            try:
                resolve(request.path_info)
            except Resolver404 as error:
                return defaults.page_not_found(request, error)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        return None
