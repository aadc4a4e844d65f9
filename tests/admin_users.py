"""Non-superuser staff logins for admin tests: only the permissions a test names."""

from django.contrib.auth.models import Permission, User
from django.test import Client


def staff_client(*perms: str, username: str = "clerk") -> Client:
    """A logged-in staff client holding exactly `perms` ("app_label.codename")."""
    user = User.objects.create_user(username, password="a-long-password-1", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = Client()
    client.force_login(user)
    return client
