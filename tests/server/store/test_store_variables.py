"""The variables service layer (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from headwater.exceptions import ObjectAlreadyExists
from headwater.schemas.variables import VariableCreate
from headwater.server.db.database import get_database
from headwater.server.store import variables


def test_set_read_list_delete(database_url: str) -> None:
    db = get_database(database_url)
    with db.begin_write() as conn:
        variables.set_variable(conn, variable=VariableCreate(name="b", value=[1], tags=["x"]))
        variables.set_variable(conn, variable=VariableCreate(name="a", value={"k": None}))
        with pytest.raises(ObjectAlreadyExists):
            variables.set_variable(conn, variable=VariableCreate(name="a", value=1))
        changed = variables.set_variable(
            conn, variable=VariableCreate(name="b", value="new"), overwrite=True
        )
        assert changed.value == "new" and changed.tags == ["x"]  # tags kept when not given
    with db.begin_read() as conn:
        assert [v.name for v in variables.read_variables(conn)] == ["a", "b"]
        assert [v.name for v in variables.read_variables(conn, tag="x")] == ["b"]
        found = variables.read_variable(conn, name="a")
        assert found is not None and found.value == {"k": None}
        assert variables.read_variable(conn, name="zz") is None
    with db.begin_write() as conn:
        assert variables.delete_variable(conn, name="a")
        assert not variables.delete_variable(conn, name="a")
