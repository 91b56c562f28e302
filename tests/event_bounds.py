"""An upper bound on the JSON size of any value a JSON schema accepts: every string has a maxLength, every
list a maxItems, and a character costs at most 6 bytes in JSON (a control character is written \\u00XX).
A schema without such a limit is `Unbounded`, naming where."""

from __future__ import annotations

import json
import re
from typing import Any

BYTES_PER_CHAR = 6
# A pattern made only of classes of ASCII letters, digits, '_', '-' and '=' (identifiers, base64url): a byte a
# character, written as is.
ASCII_ONLY = re.compile(r"^\^(\[[A-Za-z0-9_=\\-]+\](\{\d+(,\d+)?\}|[*+?])?)+\$$")
NUMBER_BYTES = 24  # -1.2345678901234567e-308
FORMATTED = {"date": 10, "date-time": 32}  # 2026-12-01T21:36:56.123456+00:00


class Unbounded(AssertionError):
    pass


def worst_case_bytes(schema: dict[str, Any], defs: dict[str, Any], where: str = "") -> int:
    """An upper bound on the JSON size of any value that `schema` accepts."""
    if "$ref" in schema:
        return worst_case_bytes(defs[schema["$ref"].rsplit("/", 1)[1]], defs, where)
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return max(worst_case_bytes(option, defs, where) for option in schema[combinator])
    if "allOf" in schema:
        return max(worst_case_bytes(part, defs, where) for part in schema["allOf"])
    if "enum" in schema or "const" in schema:
        return max(len(json.dumps(v)) for v in schema.get("enum", [schema.get("const")]))
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") in FORMATTED:
            return FORMATTED[schema["format"]] + 2
        if "maxLength" not in schema:
            raise Unbounded(f"{where or '<root>'}: a string without maxLength")
        per_char = 1 if ASCII_ONLY.match(schema.get("pattern", "")) else BYTES_PER_CHAR
        return schema["maxLength"] * per_char + 2
    if kind in ("integer", "number"):
        return NUMBER_BYTES
    if kind == "boolean":
        return 5
    if kind == "null":
        return 4
    tuple_items = schema.get("prefixItems")
    if kind == "array" and tuple_items and (schema.get("items") is False or schema.get("maxItems") == len(tuple_items)):
        parts = schema["prefixItems"]
        return 2 + sum(worst_case_bytes(p, defs, f"{where}[{n}]") + 1 for n, p in enumerate(parts))
    if kind == "array":
        if "maxItems" not in schema:
            raise Unbounded(f"{where or '<root>'}: a list without maxItems")
        item = worst_case_bytes(schema.get("items", {}), defs, f"{where}[]")
        return 2 + schema["maxItems"] * (item + 1)
    if kind == "object":
        total = 2
        for name, field in schema.get("properties", {}).items():
            total += len(json.dumps(name)) + 2 + worst_case_bytes(field, defs, f"{where}.{name}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                raise Unbounded(f"{where or '<root>'}: a mapping without maxProperties")
            key = schema.get("propertyNames", {}).get("maxLength")
            if key is None:
                raise Unbounded(f"{where or '<root>'}: mapping keys without maxLength")
            total += schema["maxProperties"] * (
                key * BYTES_PER_CHAR + 4 + worst_case_bytes(extra, defs, f"{where}{{}}")
            )
        return total
    raise Unbounded(f"{where or '<root>'}: no type to bound ({schema})")
