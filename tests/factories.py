import factory
from django.contrib.auth.hashers import make_password

from apps.roles.models import BuiltinRole, Role, normalize_role_name
from apps.roles.services import create_builtin_roles
from apps.tenants.models import Tenant
from apps.users.models import User, UserEmail

PASSWORD = "correct-horse-battery-staple"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Tenant {n}")
    subdomain = factory.Sequence(lambda n: f"tenant-{n}")

    @factory.post_generation
    def builtin_roles(tenant, create, extracted, **kwargs):
        if create:
            create_builtin_roles(tenant=tenant)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    user_name = factory.Sequence(lambda n: f"user{n}@example.com")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    display_name = factory.LazyAttribute(lambda u: f"{u.given_name} {u.family_name}")
    role = BuiltinRole.END_USER
    password = factory.django.Password(PASSWORD)

    class Params:
        # As SCIM creates users: no usable password, so the user cannot sign in.
        without_password = factory.Trait(password=factory.LazyFunction(lambda: make_password(None)))


class AgentFactory(UserFactory):
    role = BuiltinRole.AGENT


class AdminFactory(UserFactory):
    role = BuiltinRole.ADMIN


class StaffFactory(UserFactory):
    tenant = None
    is_staff = True
    user_name = factory.Sequence(lambda n: f"staff{n}")


class UserEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserEmail

    user = factory.SubFactory(UserFactory)
    tenant = factory.SelfAttribute("user.tenant")
    value = factory.LazyAttribute(lambda e: e.user.user_name)
    type = "work"
    primary = True


class UserPhoneNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "users.UserPhoneNumber"

    user = factory.SubFactory(UserFactory)
    tenant = factory.SelfAttribute("user.tenant")
    value = factory.Sequence(lambda n: f"+1 555 {n:04d}")
    type = "mobile"


class CustomRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Team lead {n}")
    normalized_name = factory.LazyAttribute(lambda r: normalize_role_name(r.name))
    description = "A custom role"


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "groups.Group"

    tenant = factory.SubFactory(TenantFactory)
    display_name = factory.Sequence(lambda n: f"Group {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "groups.GroupMembership"

    group = factory.SubFactory(GroupFactory)
    tenant = factory.SelfAttribute("group.tenant")
    user = factory.SubFactory(AgentFactory, tenant=factory.SelfAttribute("..group.tenant"))


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token row; use tokens.services.create_token when the secret is needed."""

    class Meta:
        model = "tokens.ApiToken"

    tenant = factory.SubFactory(TenantFactory)
    description = "Entra ID"
    prefix = "cbx_abcd"
    last_four = "wxyz"
    digest = factory.Sequence(lambda n: f"{n:064x}")
