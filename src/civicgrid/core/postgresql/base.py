"""Django's PostgreSQL backend, whose flush empties the append-only tables under a permit.

Django's `flush` (and the test runner between transactional tests) empties every table with one
TRUNCATE, which the append-only tables' triggers refuse (core/immutable.py); here the statement
runs under a FLUSH permit, the one deliberate way to empty them.
"""

from __future__ import annotations

from django.db.backends.postgresql import base, operations

from civicgrid.core import immutable


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        emptied = [t for t in tables if t != immutable.PERMIT_TABLE]
        sql = super().sql_flush(style, emptied, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return immutable.flush_sql(sql, tables, self.quote_name)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
