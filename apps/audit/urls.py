from django.urls import path

from apps.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.activity, name="list"),
    path("export/", views.activity_export, name="export"),
]
