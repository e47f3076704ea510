"""Checking answers against the gateway's OpenAPI document (``bot/api/openapi.py``)."""

from __future__ import annotations

from typing import Any, Dict

import jsonschema

from bot.api.openapi import spec


def _json_schema(schema: Any, components: Dict[str, Any]) -> Any:
    """An OpenAPI 3.0 schema as plain JSON Schema: ``$ref`` resolved, ``nullable`` as a null type."""
    if isinstance(schema, list):
        return [_json_schema(item, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        resolved = _json_schema(components[schema["$ref"].rsplit("/", 1)[1]], components)
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**resolved, **extra}
    converted = {k: _json_schema(v, components) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def assert_matches_spec(path: str, method: str, status: int, body: Any) -> None:
    """The answer's status is declared for the operation, and its body matches the declared schema."""
    document = spec()
    operation = document["paths"][path][method]
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method.upper()} {path}: status {status} is not declared ({sorted(operation['responses'])})"
    declared = response.get("content", {}).get("application/json", {}).get("schema")
    if declared is None or status == 204:
        return
    schema = _json_schema(declared, document["components"]["schemas"])
    try:
        jsonschema.validate(body, schema)
    except jsonschema.ValidationError as error:
        raise AssertionError(f"{method.upper()} {path} {status}: the body does not match its schema: "
                             f"{error.message} at {list(error.absolute_path)}\n{body!r}") from None
