from pathlib import Path

from centric.schema import ALL_TABLES

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-model.md"


def test_every_table_and_column_is_documented():
    text = DOC.read_text()
    for table in ALL_TABLES.values():
        assert f"## {table.name}" in text
        section = text.split(f"## {table.name}\n", 1)[1].split("\n## ", 1)[0]
        for col in table.columns:
            assert f"| {col.name} |" in section, f"{table.name}.{col.name} is not in docs/data-model.md"
