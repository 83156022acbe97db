from apps.sso.checks import check_libxml2_versions, check_shared_cache, libxml2_mismatch


def test_lxml_and_xmlsec_on_different_libxml2_is_an_error_naming_both():
    errors = libxml2_mismatch((2, 14, 6), (2, 13, 8))

    assert [error.id for error in errors] == ["sso.E001"]
    assert "lxml uses libxml2 2.14.6 but xmlsec uses libxml2 2.13.8" in errors[0].msg


def test_same_libxml2_is_no_error():
    assert libxml2_mismatch((2, 14, 6), (2, 14, 6)) == []


def test_the_pinned_wheels_pass_the_check():
    assert check_libxml2_versions() == []


def test_per_process_cache_is_a_deploy_warning(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    assert [warning.id for warning in check_shared_cache()] == ["sso.W001"]


def test_shared_cache_is_no_warning(settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }

    assert check_shared_cache() == []
