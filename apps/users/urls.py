from django.urls import path

from apps.users import views

app_name = "users"

urlpatterns = [
    path("", views.user_list, name="list"),
    path("sessions/end-others/", views.end_other_sessions, name="end_other_sessions"),
    path("<uuid:user_id>/", views.user_detail, name="detail"),
    path("<uuid:user_id>/role/", views.update_role, name="update_role"),
    path("<uuid:user_id>/activate/", views.activate, name="activate"),
    path("<uuid:user_id>/deactivate/", views.deactivate, name="deactivate"),
    path("<uuid:user_id>/delete/", views.delete, name="delete"),
    path("<uuid:user_id>/unlock/", views.unlock_sign_in, name="unlock_sign_in"),
]
