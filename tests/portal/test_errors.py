import uuid

from django.urls import reverse


def test_unknown_page_shows_the_products_404_with_debug_on(client, settings):
    settings.DEBUG = True

    response = client.get("/no-such-page/")

    content = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in content
    assert "There is nothing here" in content
    assert "URLconf" not in content


def test_missing_object_shows_the_products_404_with_debug_on(client, settings, tenant_admin):
    settings.DEBUG = True
    client.force_login(tenant_admin)

    response = client.get(reverse("users:detail", args=[uuid.uuid4()]))

    assert response.status_code == 404
    assert "There is nothing here" in response.content.decode()


def test_unknown_page_shows_the_products_404_with_debug_off(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "There is nothing here" in response.content.decode()


def test_a_403_inside_admin_keeps_the_admins_look(client, staff):
    client.force_login(staff)

    response = client.get("/admin/tokens/apitoken/")

    content = response.content.decode()
    assert response.status_code == 403
    assert "admin/css/base.css" in content
    assert "Back to Commbox support" in content
    assert '<div id="site-name"><a href="/admin/">Commbox support</a></div>' in content
    assert 'class="topbar"' not in content


def test_a_403_in_the_settings_pages_keeps_the_products_look(client, end_user):
    client.force_login(end_user)

    response = client.get(reverse("tokens:list"))

    content = response.content.decode()
    assert response.status_code == 403
    assert 'class="topbar"' in content
    assert "admin/css/base.css" not in content
