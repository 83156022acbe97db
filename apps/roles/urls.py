from django.urls import path

from apps.roles import views

app_name = "roles"

urlpatterns = [
    path("", views.role_list, name="list"),
    path("new/", views.create, name="create"),
    path("<uuid:role_id>/edit/", views.edit, name="edit"),
    path("<uuid:role_id>/delete/", views.delete, name="delete"),
    path("groups/link/", views.link_group, name="link_group"),
    path("groups/<uuid:group_id>/unlink/", views.unlink_group, name="unlink_group"),
    path("groups/<uuid:group_id>/up/", views.move_link_up, name="move_link_up"),
    path("groups/<uuid:group_id>/down/", views.move_link_down, name="move_link_down"),
]
