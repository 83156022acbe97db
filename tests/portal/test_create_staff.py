from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit.models import AuditEvent, Channel
from apps.users.models import User

PASSWORD = "a-long-enough-passphrase"


def run(*args) -> str:
    out = StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    return path


def test_create_staff_support_makes_a_view_only_staff_account(db, password_file):
    output = run("alice", "--support", "--password-file", str(password_file))

    user = User.objects.get(user_name="alice")
    assert (user.tenant, user.is_staff, user.is_superuser) == (None, True, False)
    assert list(user.groups.values_list("name", flat=True)) == ["Support"]
    assert user.has_perm("users.view_user")
    assert not user.has_perm("users.change_user")
    assert 'Created Support (view-only) account "alice"' in output


def test_create_staff_superuser_makes_a_superuser(db, password_file):
    run("root", "--superuser", "--password-file", str(password_file))

    user = User.objects.get(user_name="root")
    assert (user.is_staff, user.is_superuser) == (True, True)


def test_the_staff_account_signs_in_with_the_password_from_the_file(db, password_file):
    run("alice", "--support", "--password-file", str(password_file))

    assert authenticate(username="alice", password=PASSWORD) == User.objects.get()


def test_create_staff_prompts_twice_for_the_password(db):
    with mock.patch("getpass.getpass", side_effect=[PASSWORD, PASSWORD]) as prompt:
        run("alice", "--support")

    assert prompt.call_count == 2
    assert User.objects.get(user_name="alice").check_password(PASSWORD)


def test_create_staff_refuses_passwords_that_do_not_match(db):
    with (
        mock.patch("getpass.getpass", side_effect=[PASSWORD, "something-else"]),
        pytest.raises(CommandError, match="do not match"),
    ):
        run("alice", "--support")

    assert not User.objects.exists()


def test_create_staff_refuses_a_weak_password(db, tmp_path):
    weak = tmp_path / "weak"
    weak.write_text("123\n")

    with pytest.raises(CommandError, match="too short"):
        run("alice", "--support", "--password-file", str(weak))

    assert not User.objects.exists()


def test_create_staff_refuses_a_taken_user_name_in_any_case(db, password_file, staff):
    with pytest.raises(CommandError, match="already exists"):
        run(staff.user_name.upper(), "--support", "--password-file", str(password_file))


def test_create_staff_refuses_support_and_superuser_together(db, password_file):
    with pytest.raises(CommandError):
        run("alice", "--support", "--superuser", "--password-file", str(password_file))


def test_create_staff_refuses_an_unreadable_password_file(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("alice", "--support", "--password-file", str(tmp_path / "missing"))


def test_create_staff_is_audited_as_a_command(db, password_file):
    run("alice", "--support", "--password-file", str(password_file))

    event = AuditEvent.objects.get(action="staff.created")
    assert (event.channel, event.target_label, event.tenant) == (Channel.COMMAND, "alice", None)
    assert "password" not in event.changes
