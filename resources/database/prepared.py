"""A statement compiled once and run as its SQL text, for the few statements a pass runs per
message: SQLAlchemy works out a statement's cache key on every execution (a walk of the whole
expression), which for the dispatcher's hand-over costs more than the database does. Values go
through each parameter's own type processing, as they would through `execute`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


class Prepared:
    def __init__(self, stmt: Any, conn: Connection):
        dialect = conn.dialect
        compiled = stmt.compile(dialect=dialect)
        self._compiled = compiled
        self.sql = compiled.string
        self._order = compiled.positiontup
        self._process = {
            name: processor for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }

    def run(self, conn: Connection, params: Mapping[str, Any]) -> sa.CursorResult:
        values = self._compiled.construct_params(dict(params))
        for name, processor in self._process.items():
            if name in values:
                values[name] = processor(values[name])
        if self._order is not None:
            return conn.exec_driver_sql(self.sql, tuple(values[name] for name in self._order))
        return conn.exec_driver_sql(self.sql, values)
