app_name = "directory_users"

urlpatterns = []
