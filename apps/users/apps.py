from django.apps import AppConfig
from django.db.models import CharField
from django.db.models.functions import Lower


class UsersConfig(AppConfig):
    name = "apps.users"
    label = "users"

    def ready(self):
        # user_name__lower / value__lower filters use the functional LOWER() indexes.
        CharField.register_lookup(Lower)
