from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "apps.sso"
    label = "sso"
    verbose_name = "Single sign-on"

    def ready(self):
        from apps.sso import checks  # noqa: F401 - registers the libxml2 check
