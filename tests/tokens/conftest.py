from django.db import connection


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests run whenever the database is PostgreSQL (as in CI), else deselected."""
    if connection.vendor == "postgresql":
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    deselected = [item for item in items if item.get_closest_marker("postgres") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
