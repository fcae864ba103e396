"""The OpenAPI 3.1 document at /api/v1/openapi.json, built from the views' own declarations.

Each view says what it takes and gives with `@documented`; schemas come from the pydantic
models that also validate requests, so the document cannot drift from the code.
"""

import re
from dataclasses import dataclass, field

from flask import current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from partnership.api import api
from partnership.columns import LARGEST_ID
from partnership.inputs import URL_AT_MOST

REF = "#/components/schemas/{model}"


class ProblemDocument(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    responses: dict[int, tuple[str, type[BaseModel] | None]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def documented(method: str, path: str, *, summary: str, tag: str, **details):
    """Record a view's operation for the OpenAPI document (path as OpenAPI writes it)."""

    def decorator(view):
        OPERATIONS.append(Operation(method.lower(), path, summary, tag, **details))
        return view

    return decorator


# Every path parameter is a row's id: the app's `<int:…>` converter takes 1 to LARGEST_ID
# and answers 404 for anything else.
ROW_ID = {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}


def _parameters(operation: Operation, schemas: dict) -> list[dict]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": dict(ROW_ID)}
        for name in re.findall(r"{(\w+)}", operation.path)
    ]
    if operation.query:
        schema = operation.query.model_json_schema(ref_template=REF)
        for name, prop in schema.get("properties", {}).items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in schema.get("required", []),
                    "description": prop.get("description", ""),
                    "schema": {k: v for k, v in prop.items() if k != "description"},
                }
            )
        schemas.update(schema.get("$defs", {}))
    for name, description in operation.headers.items():
        parameters.append(
            {
                "name": name,
                "in": "header",
                "required": False,
                "description": description,
                "schema": {"type": "string"},
            }
        )
    return parameters


def _content(model: type[BaseModel], media_type: str = "application/json") -> dict:
    return {media_type: {"schema": {"$ref": REF.format(model=model.__name__)}}}


def _operation_id(operation: Operation) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", operation.path.lower()).strip("_")
    return f"{operation.method}_{words}"


def _answered_for_any(operation: Operation) -> dict[int, str]:
    """Refusals that come before the view: the token, partnership.inputs and the size limits."""
    answers = {
        400: "Characters that cannot be used (such as NUL), or JSON nested too deeply",
        401: "No valid bearer token",
        413: f"A body larger than {current_app.config['MAX_CONTENT_LENGTH'] // 1024:,} KB",
        414: f"An address longer than {URL_AT_MOST:,} characters",
    }
    if operation.method not in ("get", "head"):
        answers[403] = "The token may only read"
    return answers


def document() -> dict:
    models: set[type[BaseModel]] = {ProblemDocument}
    for operation in OPERATIONS:
        models.update(m for m in (operation.body,) if m)
        models.update(m for _, m in operation.responses.values() if m)
    _, top = models_json_schema(
        [(model, "validation") for model in sorted(models, key=lambda m: m.__name__)],
        ref_template=REF,
    )
    schemas = dict(top.get("$defs", {}))
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        answers = {status: (text, model) for status, (text, model) in operation.responses.items()}
        for status, text in _answered_for_any(operation).items():
            if status in answers:
                own, model = answers[status]
                answers[status] = (f"{own}; or {text[0].lower()}{text[1:]}", model)
            else:
                answers[status] = (text, ProblemDocument)
        responses = {}
        for status, (description, model) in sorted(answers.items()):
            entry: dict[str, object] = {"description": description}
            if model is not None:
                media = "application/json" if status < 400 else "application/problem+json"
                entry["content"] = _content(model, media)
            responses[str(status)] = entry
        spec = {
            "summary": operation.summary,
            "tags": [operation.tag],
            "operationId": _operation_id(operation),
            "parameters": _parameters(operation, schemas),
            "responses": responses,
        }
        if operation.body:
            spec["requestBody"] = {"required": True, "content": _content(operation.body)}
        paths.setdefault(operation.path, {})[operation.method] = spec
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{current_app.config['PARTNERSHIP_NAME']} API",
            "version": "1",
            "description": (
                "Partnership's JSON API. Authorise with a bearer token from "
                "`flask --app partnership tokens create`. Errors are application/problem+json."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
        "paths": dict(sorted(paths.items())),
    }


@api.route("/openapi.json")
def openapi_document():
    return jsonify(document())
