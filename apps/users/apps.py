from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models import CharField
from django.db.models.functions import Lower


class UsersConfig(AppConfig):
    name = "apps.users"
    label = "users"

    def ready(self):
        # user_name__lower / value__lower filters use the functional LOWER() indexes.
        CharField.register_lookup(Lower)
        from apps.users.sessions import keep_sign_in_time

        # Django's hook for "a sign-in happened", whichever view signed in.
        user_logged_in.connect(keep_sign_in_time, dispatch_uid="users.keep_sign_in_time")
