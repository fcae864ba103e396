"""Reading request bodies and query strings into pydantic models, with problem+json on failure."""

from typing import TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import BadRequest

from partnership.problems import Problem

M = TypeVar("M", bound=BaseModel)


def _invalid(error: ValidationError) -> Problem:
    return Problem(
        422,
        "Invalid values",
        "Some values are missing or not allowed; `errors` says which.",
        errors=[
            {"field": ".".join(str(part) for part in e["loc"]) or "(body)", "message": e["msg"]}
            for e in error.errors()
        ],
    )


def json_body(model: type[M]) -> M:
    """The request's JSON as `model`: 400 when it is not JSON at all, 422 when values are wrong."""
    try:
        data = request.get_json(force=True, silent=False)
    except BadRequest:
        raise Problem(400, "Malformed JSON", "The request body is not valid JSON.") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _invalid(error) from None


def query_args(model: type[M]) -> M:
    """The query string as `model` (422 for values of the wrong kind)."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise _invalid(error) from None
