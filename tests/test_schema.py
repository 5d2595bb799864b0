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
