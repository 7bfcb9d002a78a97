"""SQL is written in exodesk/storage only: every other module asks a repository for typed rows."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "exodesk"

# Methods that run SQL on a connection, a cursor or a sqlite-utils Database or Table.
SQL_METHODS = {
    "execute",
    "executemany",
    "executescript",
    "query",
    "rows_where",
    "pks_and_rows_where",
    "count_where",
    "delete_where",
    "insert_all",
    "upsert_all",
    "create_table",
    "table_names",
}
# Upper case, as SQL is written here; "Select a patient" in a window is not SQL.
SQL_TEXT = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|PRAGMA|CREATE|DROP|ALTER|WITH|BEGIN|COMMIT"
    r"|ROLLBACK|SAVEPOINT|RELEASE|VACUUM|ATTACH|DETACH|ANALYZE|REINDEX)\b"
)


def _text_start(node: ast.AST) -> str | None:
    """The literal text a string (or the literal start of an f-string) begins with."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def _is_database(node: ast.expr) -> bool:
    """``db``, ``self.db``, ``self._db``, ``ctx.db``: the names a Database goes by."""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return name in {"db", "_db", "database"}


def sql_found(source: str) -> list[str]:
    """Each place in ``source`` that runs or spells out SQL, as ``line: what``."""
    found: list[str] = []
    tree = ast.parse(source)
    # The literal parts of an f-string are strings too: its start is judged once, as a whole.
    parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in SQL_METHODS:
                found.append(f"{node.lineno}: .{node.func.attr}(...)")
        elif isinstance(node, ast.Subscript) and _is_database(node.value):
            found.append(f"{node.lineno}: a sqlite-utils table ({ast.unparse(node)})")
        text = _text_start(node)
        if text is not None and id(node) not in parts and SQL_TEXT.match(text):
            found.append(f"{node.lineno}: SQL text {text.strip()[:40]!r}")
    return found


def _modules_outside_storage() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "storage"
    ]


@pytest.mark.parametrize("path", _modules_outside_storage(), ids=lambda p: p.name)
def test_no_sql_outside_storage(path: Path) -> None:
    found = sql_found(path.read_text(encoding="utf-8"))
    assert not found, (
        f"exodesk/{path.relative_to(PACKAGE).as_posix()} runs SQL; move it into a repository "
        "method in exodesk/storage that returns a dataclass:\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    "source",
    [
        'db.execute("SELECT count(*) FROM patients")',
        "self._ctx.db.execute(sql)",
        "conn.executemany(sql, rows)",
        'conn.executescript("PRAGMA foreign_keys = ON")',
        "rows = list(db.query(sql))",
        'db["patients"].rows_where("id = ?", [1])',
        'self._ctx.db["patients"].exists()',
        "self._db[table].count",
        'sql = f"SELECT * FROM {table}"',
        'sql = "  UPDATE staff SET active = 0"',
        'DELETE = "DELETE FROM lots"',
        'text = ("INSERT INTO audit_log "\n        "VALUES (?)")',
    ],
)
def test_the_scan_sees_sql(source: str) -> None:
    assert sql_found(textwrap.dedent(source))


@pytest.mark.parametrize(
    "source",
    [
        'label = "Select a patient"',
        'title = f"Update {name}?"',
        "dialog.exec()",
        "self._repo.insert(patient)",
        'settings["name"]',
        'row["id"]',
        '"""Create the data file if it is missing."""',
    ],
)
def test_the_scan_leaves_other_code_alone(source: str) -> None:
    assert sql_found(source) == []
