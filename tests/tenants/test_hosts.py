import pytest

from apps.tenants.hosts import tenant_subdomain_of_host


@pytest.mark.parametrize(
    ("host", "subdomain"),
    [
        ("my-tenant.commbox.test", "my-tenant"),
        ("MY-TENANT.commbox.test:8100", "my-tenant"),
        ("my-tenant.commbox.test.", "my-tenant"),
        ("commbox.test", None),
        ("a.b.commbox.test", None),
        ("my-tenant.example.com", None),
        ("", None),
    ],
)
def test_subdomain_is_read_from_a_host_under_the_base_domain(host, subdomain):
    assert tenant_subdomain_of_host(host) == subdomain
