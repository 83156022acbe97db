"""What marks SCIM on the wire: its URL path and its media type, defined once."""

# Everything under this path is SCIM's: its errors are SCIM error bodies, and no session,
# cookie or message storage is read for it.
SCIM_ROOT = "/scim/"
# The SCIM 2.0 base URL (Entra's "Tenant URL" ends with it, less the last slash).
SCIM_PATH = f"{SCIM_ROOT}v2/"
SCIM_MEDIA_TYPE = "application/scim+json"
