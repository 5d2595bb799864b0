"""The OpenAPI schema documents the errors every operation can answer (issue 10, finding 10).

`AutoSchema` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) adds to each operation, unless the view
declared the code itself:

- 400 `ValidationError` for a write (POST) or an operation with query parameters other than
  `page`: DRF's shape, an object of field name -> messages (`detail` or `non_field_errors`
  for the whole request; nested objects for nested fields);
- 401 `Error` only when the first authentication class asks for credentials (HTTP Basic
  first); with session authentication first DRF answers 403 instead;
- 403 `Error` always: not logged in, the issued password not changed yet, or not allowed;
- 404 `Error` for an operation with a path parameter (not in the caller's scope, or no such
  id) or a paginated list (a page that does not exist);
- 429 `Error` when the view has throttles.

Request bodies say what the service requires, so that a request the schema allows is not
refused for its shape: a list that may not be empty has `minItems` (`{"entries": []}`), a
decimal has a pattern that needs a digit (not `""`, `"-"` or `"."`), without a sign when it
may not be negative; a text that may not be blank has `minLength` 1 and a non-space; a field may give its own pattern (`schema_pattern`, the money inputs
of a dividend run, checked by the service).

`.ci/schemathesis` checks the running API against this schema.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, is_list_serializer
from rest_framework import serializers

ERROR_SCHEMA = {
    "type": "object",
    "description": "DRF's error body: `detail` says what is wrong in the user's language.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "e.g. password_change_required"},
    },
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "DRF's validation errors: each refused field (or `detail` / `non_field_errors` for the "
        "whole request) with a list of messages; nested fields nest the same way."
    ),
    "additionalProperties": {},
}
DESCRIPTIONS = {
    "400": "The request is not valid (a parameter or field is refused).",
    "401": "Not logged in.",
    "403": "Not logged in, the issued password not changed yet, or not allowed.",
    "404": "Not found, or not in the caller's scope; or no such page of results.",
    "429": "Too many requests; retry later.",
}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = {
                    "description": DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": self._error_ref(code)}},
                }
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict):
            return schema
        if is_list_serializer(field):
            if not field.allow_empty:
                schema["minItems"] = max(1, field.min_length or 0)
            elif field.min_length is not None:
                schema["minItems"] = field.min_length
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        elif (
            direction == "request"
            and type(field) is serializers.CharField
            and not field.allow_blank
            and not field.read_only
        ):
            # DRF trims the value and refuses what is left blank.
            schema.setdefault("minLength", 1)
            if field.trim_whitespace:
                schema.setdefault("pattern", r"\S")
        elif isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            pattern = getattr(field, "schema_pattern", None) or _decimal_pattern(field)
            if pattern:
                schema["pattern"] = pattern
        return schema

    def _get_paginator(self):
        # A write answering a list (a recorded batch) answers it whole, not paginated.
        return super()._get_paginator() if self.method == "GET" else None

    def _error_codes(self, operation):
        parameters = operation.get("parameters", [])
        queries = [p for p in parameters if p["in"] == "query" and p["name"] != "page"]
        codes = []
        if self.method in ("POST", "PUT", "PATCH") or queries:
            codes.append("400")
        if self._asks_for_credentials():
            codes.append("401")
        codes.append("403")
        if any(p["in"] == "path" for p in parameters) or any(
            p["name"] == "page" for p in parameters
        ):
            codes.append("404")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _asks_for_credentials(self):
        authenticators = self.view.get_authenticators()
        return bool(authenticators) and bool(authenticators[0].authenticate_header(None))

    def _error_ref(self, code):
        name, schema = (
            ("ValidationError", VALIDATION_ERROR_SCHEMA)
            if code == "400"
            else ("Error", ERROR_SCHEMA)
        )
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        self.registry.register_on_missing(component)
        return component.ref


def _decimal_pattern(field):
    """What DRF's DecimalField accepts, plainly written: at least one digit, at most its
    whole digits and decimal places, a sign only when it may be negative."""
    if field.max_whole_digits is None:
        return None
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    whole = rf"\d{{1,{field.max_whole_digits}}}" if field.max_whole_digits else "0"
    decimals = rf"(?:\.\d{{1,{field.decimal_places}}})?" if field.decimal_places else ""
    return f"^{sign}{whole}{decimals}$"
