from django.contrib import admin
from django.urls import include, path

from apps.scim import reference as scim_reference
from apps.scim.media import SCIM_PATH

handler500 = "commbox_site.errors.server_error"

admin.site.site_header = "Commbox support"
admin.site.site_title = "Commbox support"
# The changelists need the width at 1280 px; Home and the breadcrumbs lead everywhere.
admin.site.enable_nav_sidebar = False

handler403 = "apps.portal.errors.permission_denied"

urlpatterns = [
    path("", include("apps.portal.urls")),
    path("settings/api/", include("apps.tokens.urls")),
    path("settings/users/", include("apps.users.urls")),
    path("settings/groups/", include("apps.groups.urls")),
    path("settings/roles/", include("apps.roles.urls")),
    path("settings/activity/", include("apps.audit.urls")),
    # The SCIM reference (ServiceProviderConfig's documentationUri), outside /scim/v2/.
    path("docs/scim/", scim_reference.page, name="scim_reference"),
    path(SCIM_PATH.removeprefix("/"), include("apps.scim.urls")),
    path("", include("apps.sso.urls")),
    path("admin/", admin.site.urls),
]

# SCIM clients get SCIM error bodies even for errors raised before a SCIM view runs.
handler400 = "commbox_site.errors.bad_request"
