"""Rows read with a hand-written statement, turned into model instances exactly as the ORM would.

For the few statements on the path of every request (the bearer-token lookup) building the query
through the ORM costs more than running it. `ModelColumns` names a model's columns for a SELECT
and converts a fetched row with the same converters the ORM's compiler applies (time zones on
SQLite, decimals, JSON, booleans), so the instance is indistinguishable from one the ORM loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


class ModelColumns:
    def __init__(self, model: type[Model], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        quote = connection.ops.quote_name
        self.sql = ", ".join(f"{quote(alias)}.{quote(f.column)}" for f in self.fields)
        self._cols = [f.get_col(alias) for f in self.fields]
        self._converters = [[*connection.ops.get_db_converters(col), *f.get_db_converters(connection)]
                            for f, col in zip(self.fields, self._cols, strict=True)]

    def __len__(self) -> int:
        return len(self.fields)

    def instance(self, values: Sequence) -> Model:
        out = []
        for value, converters, col in zip(values, self._converters, self._cols, strict=True):
            for convert in converters:
                value = convert(value, col, connection)
            out.append(value)
        return self.model.from_db(connection.alias, self.attnames, out)
