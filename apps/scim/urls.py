from django.urls import path, re_path

from apps.scim import views

app_name = "scim"

urlpatterns = [
    path("Users", views.UserCollectionView.as_view(), name="users"),
    path("Users/.search", views.UserSearchView.as_view(), name="users_search"),
    path("Users/<str:user_id>", views.UserView.as_view(), name="user"),
    path("Groups", views.GroupCollectionView.as_view(), name="groups"),
    path("Groups/.search", views.GroupSearchView.as_view(), name="groups_search"),
    path("Groups/<str:group_id>", views.GroupView.as_view(), name="group"),
    path("Roles", views.RoleCollectionView.as_view(), name="roles"),
    path("Roles/.search", views.RoleSearchView.as_view(), name="roles_search"),
    path("Roles/<str:role_id>", views.RoleView.as_view(), name="role"),
    path("ServiceProviderConfig", views.ServiceProviderConfigView.as_view(), name="config"),
    path("ResourceTypes", views.ResourceTypeCollectionView.as_view(), name="resource_types"),
    path("ResourceTypes/<str:name>", views.ResourceTypeView.as_view(), name="resource_type"),
    path("Schemas", views.SchemaCollectionView.as_view(), name="schemas"),
    path("Schemas/<str:schema_id>", views.SchemaView.as_view(), name="schema"),
    path("", views.RootSearchView.as_view(), name="root"),
    path(".search", views.RootSearchView.as_view(), name="root_search"),
    re_path(r"^.*$", views.UnknownEndpointView.as_view(), name="unknown"),
]
