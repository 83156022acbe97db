from django.urls import path

from apps.sso import views

app_name = "sso"

urlpatterns = [
    # On the account's own host, <subdomain>.<BASE_DOMAIN>.
    path("sso/saml/login/", views.sign_on, name="login"),
    path("sso/saml/acs/", views.acs, name="acs"),
    path("sso/saml/metadata/", views.metadata, name="metadata"),
    path("sso/saml/slo/", views.slo, name="slo"),
    # On any host, the account named in the path.
    path("sso/start/", views.start, name="start"),
    path("sso/<slug:subdomain>/saml/login/", views.sign_on, name="account_login"),
    path("sso/<slug:subdomain>/saml/acs/", views.acs, name="account_acs"),
    path("sso/<slug:subdomain>/saml/metadata/", views.metadata, name="account_metadata"),
    path("sso/<slug:subdomain>/saml/slo/", views.slo, name="account_slo"),
    path("sso/sign-out/", views.sign_out, name="logout"),
    path("me/", views.me, name="me"),
    path("workspace/", views.workspace, name="workspace"),
    path("settings/sso/", views.settings_view, name="settings"),
    path("settings/sso/metadata/upload/", views.upload_metadata, name="upload_metadata"),
    path("settings/sso/metadata/url/", views.set_metadata_url, name="set_metadata_url"),
    path("settings/sso/metadata/refresh/", views.refresh_metadata, name="refresh_metadata"),
    path("settings/sso/identity-provider/", views.configure_manually, name="configure_manually"),
    path("settings/sso/options/", views.set_options, name="options"),
    path("settings/sso/agents/", views.set_agent_creation, name="agent_creation"),
    path("settings/sso/certificate.cer", views.sp_certificate, name="sp_certificate"),
    path("settings/sso/test/", views.test_start, name="test"),
    path("settings/sso/test/<str:token>/", views.test_result, name="test_result"),
]
