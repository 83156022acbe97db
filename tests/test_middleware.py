from django.urls import reverse


def test_scim_requests_skip_the_session_auth_and_messages_middleware(scim_client):
    response = scim_client.get("/scim/v2/ServiceProviderConfig")

    assert response.status_code == 200
    request = response.wsgi_request
    assert not hasattr(request, "session")
    assert not hasattr(request, "_messages")
    assert "csrftoken" not in response.cookies


def test_pages_keep_the_session_and_csrf_middleware(client, tenant):
    response = client.get(reverse("portal:login"))

    assert hasattr(response.wsgi_request, "session")
    assert "csrftoken" in response.cookies
