"""lxml and xmlsec must run on the same libxml2, or signature checks cannot work at all."""

from django.core.checks import Error, Warning, register


def libxml2_mismatch(lxml_version: tuple, xmlsec_version: tuple) -> list[Error]:
    """An error naming both versions when they differ."""
    if tuple(lxml_version) == tuple(xmlsec_version):
        return []
    lxml_text = ".".join(map(str, lxml_version))
    xmlsec_text = ".".join(map(str, xmlsec_version))
    return [
        Error(
            f"lxml uses libxml2 {lxml_text} but xmlsec uses libxml2 {xmlsec_text}: "
            "SAML signatures cannot be checked.",
            hint="Install the pinned wheels (pip install -e .): xmlsec==1.3.17 and lxml==6.1.3 "
            "both bundle libxml2 2.14.6; do not build one of them from source.",
            id="sso.E001",
        )
    ]


@register()
def check_libxml2_versions(app_configs=None, **kwargs) -> list[Error]:
    from lxml import etree

    try:
        import xmlsec
    except Exception as error:  # noqa: BLE001 - xmlsec's own mismatch error is a plain Exception
        return [
            Error(
                f"xmlsec cannot be imported: {error}",
                hint="Install the pinned wheels (pip install -e .): xmlsec==1.3.17 and "
                "lxml==6.1.3 both bundle libxml2 2.14.6.",
                id="sso.E001",
            )
        ]
    return libxml2_mismatch(etree.LIBXML_VERSION, xmlsec.get_libxml_version())


@register(deploy=True)
def check_shared_cache(app_configs=None, **kwargs) -> list[Warning]:
    """Pending sign-ins and the replay cache must be shared by every worker."""
    from django.conf import settings

    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            Warning(
                "The default cache is per process: with more than one worker, an SSO response "
                "can reach a worker that never saw its request, and a replayed assertion can "
                "reach one that never saw it used.",
                hint="Set CACHE_URL to a shared cache, e.g. redis://127.0.0.1:6379/1.",
                id="sso.W001",
            )
        ]
    return []
