"""Bulk inserts and upserts with executemany: no model instances, one statement per batch.

Django's bulk_create prepares every field of every object through the ORM, slow per row
(benchmarks/README.md); a first sync writes up to hundreds of thousands of rows, so rows
are plain dicts adapted once per column type.
"""

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from django.db import connection, models

BATCH = 2000


def _adapter(field: models.Field) -> Callable:
    ops = connection.ops
    kind = field.get_internal_type()
    if kind == "JSONField":
        return lambda value: ops.adapt_json_value(value, field.encoder)
    if kind == "DecimalField":
        return lambda value: ops.adapt_decimalfield_value(
            value, field.max_digits, field.decimal_places
        )
    if kind == "DateTimeField":
        # A sync stamps every row with the same time: adapt each distinct value once.
        return lru_cache(maxsize=16)(ops.adapt_datetimefield_value)
    return lambda value: value


def rows_write(
    model: type[models.Model],
    rows: Sequence[dict],
    *,
    conflict_fields: Iterable[str] = (),
    update_fields: Iterable[str] = (),
) -> None:
    """Insert `rows` (dicts keyed by field attname); with conflict_fields, update on conflict."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in rows[0]]
    columns = [field.column for field in fields]
    adapters = [_adapter(field) for field in fields]
    quote = connection.ops.quote_name
    # Only identifiers from the model's own metadata are interpolated; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    conflict = [model._meta.get_field(name).column for name in conflict_fields]
    if conflict:
        updates = [model._meta.get_field(name).column for name in update_fields]
        # ON CONFLICT ... DO UPDATE is the same on SQLite (3.24+) and PostgreSQL.
        sql += " ON CONFLICT ({}) DO UPDATE SET {}".format(
            ", ".join(quote(c) for c in conflict),
            ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in updates),
        )
    names = list(rows[0])
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            cursor.executemany(
                sql,
                [
                    [adapt(row[name]) for adapt, name in zip(adapters, names, strict=True)]
                    for row in batch
                ],
            )
