"""The baseline of the API benchmark: a bare Flask app that answers captured responses byte for byte.

BENCH_RESPONSES names a JSON file {path?query: {"body_file": path, "headers": {name: value}}}
written by regions_api.py from the real endpoint. No database, no schema, no logging of its own:
what is left is Flask and gunicorn.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, Response, request


def load_responses(manifest: Path) -> dict[str, tuple[bytes, dict[str, str]]]:
    entries = json.loads(manifest.read_text())
    return {query: (Path(entry["body_file"]).read_bytes(), entry["headers"]) for query, entry in entries.items()}


def create_app() -> Flask:
    responses = load_responses(Path(os.environ["BENCH_RESPONSES"]))
    app = Flask(__name__)

    @app.get("/")
    @app.get("/api/v1/regions")
    def regions():
        query = request.query_string.decode()
        found = responses.get(request.path + (f"?{query}" if query else ""))
        if found is None:
            return Response(b"not captured\n", status=404, mimetype="text/plain")
        body, headers = found
        return Response(body, status=200, headers=headers)

    return app
