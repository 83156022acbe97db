from django.urls import path

from apps.groups import views

app_name = "groups"

urlpatterns = [
    path("", views.group_list, name="list"),
    path("new/", views.create, name="create"),
    path("<uuid:group_id>/", views.group_detail, name="detail"),
    path("<uuid:group_id>/rename/", views.rename, name="rename"),
    path("<uuid:group_id>/delete/", views.delete, name="delete"),
    path("<uuid:group_id>/members/add/", views.add_members, name="add_members"),
    path("for-user/<uuid:user_id>/add/", views.add_user_to_groups, name="add_user_to_groups"),
    path(
        "<uuid:group_id>/members/<uuid:user_id>/remove/",
        views.remove_member,
        name="remove_member",
    ),
]
