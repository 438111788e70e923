"""The public API's documentation: the merged OpenAPI document at /api/v1/openapi.json and Swagger UI
at /api/docs, both readable without a token. Swagger UI's files come from the installed
flask-swagger-ui package (served from its folder, nothing fetched from elsewhere at run time); the
page itself and its start-up script are ours, so no inline script is needed and the page keeps a
strict Content-Security-Policy. The document is gateway/openapi.json, built by ``caredesk openapi``.
"""
from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from flask import (Blueprint, Flask, Response, current_app, render_template_string, request, send_from_directory,
                   url_for)

from services.kit.problems import NotFound

MERGED_DOCUMENT = Path(__file__).resolve().parent / "openapi.json"
OWN_STATIC = Path(__file__).resolve().parent / "api_docs_static"
SWAGGER_UI_FILES = {"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css", "index.css",
                    "favicon-32x32.png", "favicon-16x16.png", "oauth2-redirect.html", "oauth2-redirect.js"}
# Swagger UI styles some elements inline and shows inline SVG/data: images; its scripts are all files.
DOCS_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Caredesk API</title>
  <link rel="stylesheet" href="{{ asset('swagger-ui.css') }}">
  <link rel="stylesheet" href="{{ asset('index.css') }}">
  <link rel="icon" type="image/png" href="{{ asset('favicon-32x32.png') }}" sizes="32x32">
</head>
<body>
  <div id="swagger-ui" data-spec-url="{{ spec_url }}"></div>
  <script src="{{ asset('swagger-ui-bundle.js') }}"></script>
  <script src="{{ asset('swagger-ui-standalone-preset.js') }}"></script>
  <script src="{{ url_for('api_docs.own_asset', filename='start.js') }}"></script>
</body>
</html>
"""

blp = Blueprint("api_docs", __name__)


def swagger_ui_folder() -> Path:
    return Path(str(resources.files("flask_swagger_ui") / "dist"))


def install_api_docs(app: Flask) -> None:
    """Serves the checked-in merged document (read once: it changes only with a new release)."""
    document = MERGED_DOCUMENT.read_bytes()
    app.extensions["caredesk.api_docs"] = (document, '"' + hashlib.sha256(document).hexdigest()[:32] + '"')
    app.register_blueprint(blp)


@blp.get("/api/v1/openapi.json")
def merged_openapi():
    document, etag = current_app.extensions["caredesk.api_docs"]
    if request.if_none_match.contains(etag.strip('"')):
        return Response(status=304, headers={"ETag": etag, "Cache-Control": "no-cache"})
    return Response(document, mimetype="application/json", headers={"ETag": etag, "Cache-Control": "no-cache"})


@blp.get("/api/docs")
@blp.get("/api/docs/", endpoint="docs_page_slash")
def docs_page():
    html = render_template_string(PAGE, spec_url=url_for("api_docs.merged_openapi"),
                                  asset=lambda name: url_for("api_docs.swagger_ui_asset", filename=name))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@blp.get("/api/docs/assets/<path:filename>")
def swagger_ui_asset(filename: str):
    if filename not in SWAGGER_UI_FILES:
        raise NotFound("No such file of the API documentation.")
    return send_from_directory(swagger_ui_folder(), filename, max_age=86400)


@blp.get("/api/docs/start/<path:filename>")
def own_asset(filename: str):
    return send_from_directory(OWN_STATIC, filename, max_age=300)
