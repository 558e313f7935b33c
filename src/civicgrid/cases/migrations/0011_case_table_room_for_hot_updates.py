# PostgreSQL only: the case table leaves 10 % of each page free, so that an update that changes no
# indexed column (a duplicate's "me too" on its original) can put the new row
# version on the same page (a HOT update) instead of entering it into every index of the table.
# Applies to pages written from now on; `VACUUM FULL cases_case` rewrites the old ones.

from django.db import migrations

FILLFACTOR = 90


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE cases_case SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_case RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0010_partial_indexes_for_set_columns"),
    ]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
