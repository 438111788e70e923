"""Each service's OpenAPI document tells the whole truth about every operation: an operationId, the
bearer scheme (or none on a public route), the problem answers it can give and the If-Match it reads.

Most of it follows from the route itself, so it is filled in here once rather than by hand in every
view: a route that needs a token can answer 401 and 403; one with an id in its path 404; one with a
body 400 (unreadable), 413 (too large) and 422; every write 415 (a body in a type no view reads); every write
that needs a token 409; a view that sends an ETag documents it (with If-None-Match and 304 on a GET); a 201
its Location; a view that reads
``expected_version()`` requires If-Match (412, 428), one that reads ``optional_expected_version()``
takes it (412). Anything a view declares itself (``alt_response``) is kept, with the problem schema
added where it named none. Every other answer (500, 503) stays under ``default``.
"""
from __future__ import annotations

import copy
import inspect
import re

from apispec import BasePlugin
from marshmallow import fields

from services.kit.problems import ProblemSchema

BEARER_SCHEME = "bearerAuth"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
WRITE_METHODS = {"post", "put", "patch", "delete"}
HTTP_METHODS = WRITE_METHODS | {"get", "head", "options"}

# status -> (components.responses name, description)
PROBLEM_ANSWERS = {
    400: ("BadRequest", "Unreadable request: malformed JSON, a key given twice or nesting too deep"),
    401: ("Unauthorized", "No valid bearer token: missing, expired, revoked, forged or its user disabled"),
    403: ("Forbidden", "The token may not do this: a permission it lacks, a read-only API token or a "
                       "resource outside the token's scopes"),
    404: ("NotFound", "No such record, or one outside the caller's reach (the two answer alike)"),
    409: ("Conflict", "The record's state does not allow this, or it clashes with another record"),
    412: ("PreconditionFailed", "Stale version: If-Match is not the record's current ETag "
                                "(current_version says which is)"),
    413: ("ContentTooLarge", "The body is larger than the service takes"),
    415: ("UnsupportedMediaType", "A body that is not application/json (files: multipart/form-data)"),
    422: ("UNPROCESSABLE_ENTITY", "Some fields are invalid: a problem naming each field in errors"),
    428: ("PreconditionRequired", "If-Match is missing: send the ETag you read"),
    429: ("TooManyRequests", "Too many attempts: wait the seconds Retry-After says"),
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 1}}}
ETAG_HEADER = {"ETag": {"description": "The record's version: send it back as If-Match to change the "
                                        "record, as If-None-Match to read it only if it changed",
                         "schema": {"type": "string"}, "example": "\"3\""}}
LOCATION_HEADER = {"Location": {"description": "Where the new record lives (or the list that holds it, for a "
                                              "record with no address of its own)",
                                "schema": {"type": "string", "format": "uri-reference"}}}
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False,
                 "description": "The ETag you hold: 304 with no body while the record has not changed",
                 "schema": {"type": "string"}, "example": "\"3\""}
NOT_MODIFIED = {"description": "Not modified: the ETag sent in If-None-Match is the record's current one",
                "headers": dict(ETAG_HEADER)}
IF_MATCH = {"name": "If-Match", "in": "header",
            "description": "The ETag of the record as you read it; a stale one is refused with 412",
            "schema": {"type": "string"}, "example": "\"3\""}


# services/kit/input.py refuses every control character but tab and line breaks in any text it reads
# (literal characters, so every regex dialect reads the class alike). Single-line fields refuse line
# breaks and invisible characters too; the pattern leaves that out, as the same schemas describe
# answers, whose multi-line text may be shown in a field not marked so.
TEXT_PATTERN = "^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


def text_rule_property(self, field, ret, **_kwargs) -> dict:
    """apispec attribute function: a text field documents the control characters it refuses, so
    generated valid input is valid (a field with a pattern or a format of its own keeps it; a
    problem's members quote the request as sent, path included)."""
    if not isinstance(field, fields.String) or "pattern" in ret or ret.get("format") or "enum" in ret \
            or isinstance(field.parent, ProblemSchema):
        return {}
    return {"pattern": TEXT_PATTERN}


def problem_content() -> dict:
    return {"application/problem+json": {"schema": dict(PROBLEM_REF)}}


def document_problem_answers(spec) -> None:
    """The shared problem answers and the bearer scheme, once per document."""
    for status, (name, description) in PROBLEM_ANSWERS.items():
        answer = {"description": description, "content": problem_content()}
        if status == 429:
            answer["headers"] = dict(RETRY_AFTER)
        spec.components.responses[name] = answer
    spec.components.security_scheme(BEARER_SCHEME, {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An access token from POST /api/v1/auth/login (15 minutes, renewed with "
                       "/api/v1/auth/refresh) or an API token an administrator created for an integration."})


def _view_function(app, endpoint: str, method: str):
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method, None)
    return inspect.unwrap(view) if view is not None else None


def _names_called(function, depth: int = 2) -> set[str]:
    """The names a view uses, and those of the helpers of its own module it calls (``_present``,
    ``_action``), so a view answering through a helper is documented as the helper answers."""
    code = getattr(function, "__code__", None)
    if code is None:
        return set()
    names = set(code.co_names)
    if depth:
        module_globals = getattr(function, "__globals__", {})
        for name in list(names):
            helper = module_globals.get(name)
            if inspect.isfunction(helper) and helper.__module__ == function.__module__ and helper is not function:
                names |= _names_called(helper, depth - 1)
    return names


def operation_id(method: str, path: str) -> str:
    """``get_customers_customer_id_lines``: unique per method and path, stable across builds."""
    words = re.sub(r"[^A-Za-z0-9]+", "_", path.removeprefix("/api/v1/")).strip("_")
    return f"{method}_{words}"


class OperationCompleter(BasePlugin):
    """An apispec plugin run on each route as flask-smorest documents it. ``is_public(endpoint)``
    says which routes are reached without a token; ``rate_limited``: every route that needs one may
    answer 429 (the gateway's per-user and per-token limits)."""

    def __init__(self, app, is_public, *, rate_limited: bool = False) -> None:
        self.app = app
        self.is_public = is_public
        self.rate_limited = rate_limited
        self.spec = None

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        self.spec = spec

    def schema_helper(self, name, definition, **kwargs) -> dict | None:
        """A schema's rules over several fields, which no field states ("give customer_id or
        customer_code"), from its ``Meta.openapi`` (JSON Schema keywords such as ``anyOf``)."""
        schema = kwargs.get("schema")
        extra = getattr(getattr(schema, "Meta", None), "openapi", None) if not isinstance(schema, str) else None
        return copy.deepcopy(extra) if extra else None

    def _form_into_body(self, operation: dict) -> None:
        """A multipart upload's form fields (which flask-smorest lists as Swagger 2's ``formData``
        parameters, unknown to OpenAPI 3) become properties of its multipart body beside the file."""
        form = [p for p in operation.get("parameters", []) if p.get("in") == "formData"]
        if not form:
            return
        operation["parameters"] = [p for p in operation["parameters"] if p.get("in") != "formData"]
        content = operation.setdefault("requestBody", {"required": True, "content": {}})["content"]
        media = content.setdefault("multipart/form-data", {"schema": {"type": "object", "properties": {}}})
        schema = media["schema"]
        if "$ref" in schema:
            schema = copy.deepcopy(self.spec.components.schemas[schema["$ref"].rpartition("/")[2]])
        schema.setdefault("properties", {})
        for parameter in form:
            schema["properties"][parameter["name"]] = {
                **parameter.get("schema", {}),
                **({"description": parameter["description"]} if "description" in parameter else {})}
            if parameter.get("required"):
                schema.setdefault("required", []).append(parameter["name"])
        media["schema"] = schema

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        public = self.is_public(rule.endpoint)
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            operation.setdefault("operationId", operation_id(method, path or rule.rule))
            self._form_into_body(operation)
            if public:
                operation["security"] = []
            called = _names_called(_view_function(self.app, rule.endpoint, method))
            statuses = set()
            if not public:
                statuses |= {401, 403} | ({429} if self.rate_limited else set())
            if rule.arguments:
                statuses.add(404)
            if "requestBody" in operation:
                statuses |= {400, 413, 415, 422}
            if any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
                statuses.add(422)
            if method in WRITE_METHODS and not public:
                statuses.add(409)
            if method in WRITE_METHODS:
                statuses.add(415)  # a body no view reads is refused even where none is taken (kit.app)
            reads_if_match = {"expected_version", "optional_expected_version", "put_expected_version"} & called
            if reads_if_match:
                statuses |= {412, 422}  # a stale If-Match, an unreadable one
                required = "expected_version" in called
                if required or "put_expected_version" in called:  # a PUT replacing what exists needs it
                    statuses.add(428)
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("in") == "header" and p.get("name") == "If-Match" for p in parameters):
                    parameter = {**IF_MATCH, "required": required}
                    if not required and "put_expected_version" in called:
                        parameter["description"] = ("Leave it out to create the record; to replace it, the ETag "
                                                    "you read (428 without it, 412 when stale)")
                    parameters.append(parameter)
            responses = {str(status): answer for status, answer in operation.get("responses", {}).items()}
            self._document_headers(method, operation, responses, called)
            for status in sorted(statuses):
                # a component's name: apispec turns it into a reference
                responses.setdefault(str(status), PROBLEM_ANSWERS[status][0])
            for status, answer in responses.items():
                if status.startswith("4") and isinstance(answer, dict) and "$ref" not in answer \
                        and not answer.get("content"):
                    answer["content"] = problem_content()
                    if status == "429":
                        answer.setdefault("headers", dict(RETRY_AFTER))
            operation["responses"] = dict(sorted(responses.items(), key=lambda item: (item[0] == "default", item[0])))


    @staticmethod
    def _document_headers(method: str, operation: dict, responses: dict, called: set[str]) -> None:
        """ETag on the answers of a view that sends one (and on a GET, If-None-Match and 304);
        Location on a 201."""
        tagged = bool({"with_etag", "no_content", "etag_of"} & called)
        for status, answer in responses.items():
            if not isinstance(answer, dict) or "$ref" in answer:
                continue
            if tagged and status in ("200", "201", "204"):
                answer.setdefault("headers", {}).update(ETAG_HEADER)
            if status == "201":
                answer.setdefault("headers", {}).update(LOCATION_HEADER)
        if tagged and method == "get" and "200" in responses:
            responses.setdefault("304", dict(NOT_MODIFIED))
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("in") == "header" and p.get("name") == "If-None-Match" for p in parameters):
                parameters.append(dict(IF_NONE_MATCH))


def _path_parameters(path: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", path)


def _creates_with_id(answer, schemas: dict) -> bool:
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {}) if isinstance(answer, dict) else {}
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rpartition("/")[2], {})
    return "id" in schema.get("properties", {})


def link_created_resources(spec) -> None:
    """OpenAPI links from every creation (a POST answering 201 with the new record's ``id``) to each
    operation on what it created: ``POST /customers`` leads to ``GET``/``PATCH /customers/{customer_id}``
    and to ``POST /customers/{customer_id}/lines``, which leads on to that line. The created id fills
    the new path parameter, the creation's own path parameters the rest, and its ``ETag`` the
    ``If-Match`` of a change. Run once every route is documented; Schemathesis' stateful phase
    follows these links."""
    document = spec.to_dict()  # its paths are the spec's own: links added here are served
    paths, schemas = document["paths"], document.get("components", {}).get("schemas", {})
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if not _creates_with_id(created, schemas):
            continue
        known = _path_parameters(path)
        links = {}
        for target_path, target_item in paths.items():
            child = re.fullmatch(r"/\{(\w+)\}(/.*)?", target_path[len(path):]) if target_path.startswith(path) else None
            if child is None or not set(_path_parameters(target_path)) <= {*known, child.group(1)}:
                continue
            for method, target in target_item.items():
                if method not in HTTP_METHODS or not isinstance(target, dict) or "operationId" not in target:
                    continue
                parameters = {f"path.{name}": f"$request.path.{name}" for name in known}
                parameters[f"path.{child.group(1)}"] = "$response.body#/id"
                if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in target.get("parameters", [])):
                    parameters["header.If-Match"] = "$response.header.ETag"
                links[target["operationId"]] = {"operationId": target["operationId"], "parameters": parameters}
        if links:
            created["links"] = links
