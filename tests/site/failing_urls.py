"""The project's URLs plus one view that fails, for the error-reporting tests."""

from django.urls import path

from commbox_site.urls import handler400, handler403, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler500", "urlpatterns"]


def fails(request):
    secret = request.POST.get("token", "")
    raise RuntimeError(f"failed while handling {secret}")


urlpatterns = [*urlpatterns, path("fails/", fails)]
