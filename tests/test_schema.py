"""pinghu_points/schema.py: the OpenAPI schema documents every answer an operation gives
(issue 10, finding 10). `.ci/schemathesis` checks the running API against it."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from pinghu_points.parameters import MAX_ID


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_documents_its_error_answers(schema):
    missing = []
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        parameters = operation.get("parameters", [])
        expected = {"403"}
        if method == "post" or any(p["in"] == "query" and p["name"] != "page" for p in parameters):
            expected.add("400")
        if "{" in path or any(p["name"] == "page" for p in parameters):
            expected.add("404")
        if not expected <= codes:
            missing.append(f"{method.upper()} {path}: {sorted(expected - codes)}")
    assert missing == []


def test_error_bodies_are_drf_shaped(schema):
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["detail"]
    assert components["ValidationError"]["type"] == "object"
    retrieve = schema["paths"]["/api/households/{id}/"]["get"]
    assert retrieve["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_ids_and_years_are_bounded_in_the_schema(schema):
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/score-events/"]["get"]["parameters"]
    }
    assert parameters["household"] == {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    assert (parameters["year"]["minimum"], parameters["year"]["maximum"]) == (2018, 2100)
    assert (parameters["month"]["minimum"], parameters["month"]["maximum"]) == (1, 12)
    runs = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/dividend-runs/"]["get"]["parameters"]
    }
    assert runs["year"]["type"] == "integer"
    path_id = schema["paths"]["/api/households/{id}/"]["get"]["parameters"][0]["schema"]
    assert path_id == {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def test_a_recorded_batch_is_documented_as_the_list_it_is(schema):
    post = schema["paths"]["/api/score-events/"]["post"]
    assert "parameters" not in post  # no filters, no page on a write
    created = post["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["type"] == "array"
    refused = post["responses"]["400"]["content"]["application/json"]["schema"]
    assert "required" not in refused  # `errors`, or DRF's field errors


# --- Request bodies say what the service requires (issue 20, point 11) -----------------------


def request_validator(schema, component):
    """A JSON Schema validator for one request component (OpenAPI's `nullable` aside)."""
    import jsonschema

    return jsonschema.Draft7Validator(
        {"$ref": f"#/components/schemas/{component}", "components": schema["components"]}
    )


def test_a_batch_needs_one_entry_in_the_schema_as_in_the_service(schema):
    from communities.api import MAX_BATCH

    entries = schema["components"]["schemas"]["Batch"]["properties"]["entries"]
    assert (entries["minItems"], entries["maxItems"]) == (1, MAX_BATCH)
    assert not request_validator(schema, "Batch").is_valid({"entries": []})


def test_the_service_refuses_what_the_schema_refuses_for_a_batch(world, login):
    response = login(world.staff_east).post(
        "/api/v1/score-events/", {"entries": []}, content_type="application/json"
    )
    assert response.status_code == 400


def decimal_patterns(schema):
    for name, component in schema["components"]["schemas"].items():
        for field, property_schema in component.get("properties", {}).items():
            if property_schema.get("format") == "decimal" and "pattern" in property_schema:
                yield f"{name}.{field}", property_schema["pattern"]


def test_no_decimal_pattern_takes_an_empty_or_bare_value(schema):
    import re

    loose = [
        name
        for name, pattern in decimal_patterns(schema)
        if any(re.search(pattern, value) for value in ("", "-", ".", "-.", " "))
    ]
    assert loose == []


MONEY_VALUES = [
    "",
    " ",
    "-1",
    "-0",
    "abc",
    "1e3",
    "NaN",
    "0",
    "1",
    "12.5",
    "12.50",
    "12.505",
    "0.2",
    "0.2000",
    "0.20005",
    "999999999999.99",
    "1000000000000",
    "9999999999",
    "10000000000",
]


@pytest.mark.parametrize(
    "field, places, column",
    [
        ("total", 2, "total"),
        ("incentive_ratio", 4, "incentive_value"),
        ("incentive_pool", 2, "incentive_value"),
        ("incentive_share", 4, "incentive_value"),
    ],
)
def test_a_money_input_the_schema_allows_is_one_the_service_accepts(schema, field, places, column):
    """An empty `total` was schema-valid (a plain string) and refused with 400."""
    import re

    from dividends import services
    from dividends.api import DividendRunCreateSerializer

    pattern = schema["components"]["schemas"]["DividendRunCreate"]["properties"][field]["pattern"]
    serializer_field = DividendRunCreateSerializer().fields[field]
    allowed = [value for value in MONEY_VALUES if re.search(pattern, value)]
    for value in allowed:
        number = serializer_field.run_validation(value)  # DRF's own parsing accepts it
        assert services._input_problem(number, places=places, field=column) is None, value
    assert "" not in allowed and "-1" not in allowed and "12.5" in allowed


def test_the_cooperative_code_may_not_be_blank_in_the_schema(schema):
    cooperative = schema["components"]["schemas"]["DividendRunCreate"]["properties"]["cooperative"]
    validator = request_validator(schema, "DividendRunCreate")
    body = {"cooperative": "", "year": 2026, "total": "100.00"}
    assert cooperative["minLength"] == 1
    assert not validator.is_valid(body)
    assert not validator.is_valid({**body, "cooperative": "  "})
    assert validator.is_valid({**body, "cooperative": "COOPA"})
