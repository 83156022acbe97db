from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The tenant admin's entry pages: sign-in, logout, the settings home; tenant creation."""

    name = "apps.portal"
    label = "portal"
