"""Database triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the access log.

The SQL is written out here, not imported, so this migration keeps doing what it did when the
app's code changes. See tutela/audit/triggers.py for the flush exception and the SQLite note.
"""

from django.db import migrations

TABLES = ("audit_accessevent", "audit_auditcheckpoint")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION tutela_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('tutela.audit_maintenance', true) = 'on' THEN
        RETURN NULL;  -- manage.py flush (tests, development resets); see triggers.py
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

POSTGRES_TRIGGERS = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION tutela_audit_refuse();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION tutela_audit_refuse();
"""

SQLITE_TRIGGERS = """
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END;
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN NOT tutela_audit_maintenance()
BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END;
"""


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)  # no %-placeholders
        for table in TABLES:
            schema_editor.execute(POSTGRES_TRIGGERS.format(table=table))
    elif vendor == "sqlite":
        for table in TABLES:
            for statement in SQLITE_TRIGGERS.format(table=table).split("END;")[:-1]:
                schema_editor.execute(statement + "END;")


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS tutela_audit_refuse()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_access_log")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
