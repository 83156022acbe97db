from django.urls import path

from apps.roles import views

app_name = "roles"

urlpatterns = [
    path("", views.role_list, name="list"),
    path("new/", views.create, name="create"),
    path("<uuid:role_id>/edit/", views.edit, name="edit"),
    path("<uuid:role_id>/delete/", views.delete, name="delete"),
]
