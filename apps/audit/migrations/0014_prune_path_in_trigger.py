"""The one way past the append-only trigger: pruning events older than a stated moment.

DELETE is allowed only for a row whose created_at is before the moment named by the
transaction-local setting commbox.audit_prune_before, which apps/audit/retention.py sets
with set_config(..., true) in each batch's transaction (manage.py prune_audit). Outside
such a transaction the setting is unset or empty, and every UPDATE and DELETE is refused as
before; UPDATE is always refused, and a newer row is refused even inside a prune.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
DECLARE
    prune_before timestamptz := NULLIF(current_setting('commbox.audit_prune_before', true), '');
BEGIN
    IF TG_OP = 'DELETE' AND prune_before IS NOT NULL AND OLD.created_at < prune_before THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditevent is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def allow_pruning(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def refuse_pruning(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0013_token_lifetime_and_updated_actions")]

    operations = [migrations.RunPython(allow_pruning, refuse_pruning)]
