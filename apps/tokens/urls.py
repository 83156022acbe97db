from django.urls import path

from apps.tokens import views

app_name = "tokens"

urlpatterns = [
    path("", views.token_list, name="list"),
    path("tokens/new/", views.token_create, name="create"),
    path("tokens/<uuid:token_id>/", views.token_detail, name="detail"),
    path("tokens/<uuid:token_id>/save/", views.token_save, name="save"),
    path("tokens/<uuid:token_id>/discard/", views.token_discard, name="discard"),
    path("tokens/<uuid:token_id>/revoke/", views.token_revoke, name="revoke"),
    path("tokens/<uuid:token_id>/replace/", views.token_replace, name="replace"),
    path("tokens/<uuid:token_id>/describe/", views.token_describe, name="describe"),
    path("settings/", views.token_settings, name="settings"),
    path("settings/switch-off/", views.token_access_off, name="switch_off"),
    path("settings/lifetime/", views.token_lifetime, name="lifetime"),
    path("provisioning/", views.provisioning, name="provisioning"),
    path("provisioning/admin-grants/", views.scim_admin_grants, name="scim_admin_grants"),
]
