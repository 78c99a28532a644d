"""CSV export that is safe to open in a spreadsheet.

A cell starting with = + - @ (or a tab or carriage return) is prefixed with a quote so that
spreadsheets show it as text instead of running it as a formula (OWASP: CSV injection).
Numbers are left alone: a negative amount is data, not a formula. List cells are written as
'a|b', the form ingest reads back.
"""

from __future__ import annotations

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if hasattr(value, "__len__") and not isinstance(value, (str, bytes)):  # a list cell: 'a|b'
        value = "|".join(map(str, value))
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def safe_csv(df) -> str:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("string", "str")):
            out[col] = out[col].map(neutralise)
    return out.to_csv(index=False)
