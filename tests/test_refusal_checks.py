"""The contract tier's generated refusal checks (`contracts/test_authentication.py`,
`contracts/test_request_bodies.py`, `contracts/test_paging.py`) fail where a backend does not
refuse, and pass where it does: run against a small backend whose OpenAPI documents 401, 413,
415 and the paging refusals (400, 404) on its operations, half of which honour them and half of
which take anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.stand_in import serving

ROOT = Path(__file__).resolve().parent.parent
KEY = "refusing-backend-signing-key-" + "k" * 40
NOW = "2026-12-06T10:00:00+05:30"
BODY_LIMIT = 1024 * 1024
ERROR = {"$ref": "#/components/schemas/Error"}


def error(status: int, code: str) -> JSONResponse:
    return JSONResponse({"message": code.replace("_", " "), "code": code}, status_code=status)


def operation(*, body: bool, secured: bool = True) -> dict:
    statuses = {"200": {"description": "done", "content": {"application/json": {
        "schema": {"type": "object"}}}}}
    if secured:
        statuses["401"] = {"description": "no token", "content": {"application/json": {
            "schema": ERROR}}}
    if body:
        for status in ("400", "413", "415"):
            statuses[status] = {"description": status, "content": {"application/json": {
                "schema": ERROR}}}
    found: dict = {"responses": statuses, "security": [{"jwtAuth": []}] if secured else [{}]}
    if body:
        found["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "properties": {"text": {"type": "string"}}}}}}
    return found


def listing() -> dict:
    found = operation(body=False)
    found["parameters"] = [{"in": "query", "name": name, "schema": {"type": "integer"}}
                           for name in ("page", "page_size")]
    for status in ("400", "404"):
        found["responses"][status] = {"description": status, "content": {
            "application/json": {"schema": ERROR}}}
    return found


DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "refusing backend", "version": "1"},
    "paths": {
        "/api/guarded/": {"get": operation(body=False)},
        "/api/open/": {"get": operation(body=False)},
        "/api/notes/": {"post": operation(body=True)},
        "/api/lax/": {"post": operation(body=True)},
        "/api/pages/": {"get": listing()},
        "/api/loose-pages/": {"get": listing()},
    },
    "components": {
        "schemas": {"Error": {"type": "object", "required": ["message", "code"],
                              "properties": {"message": {"type": "string"},
                                             "code": {"type": "string"}}}},
        "securitySchemes": {"jwtAuth": {"type": "http", "scheme": "bearer",
                                        "bearerFormat": "JWT"}},
    },
}


def build_app() -> Starlette:
    """Registration by SMS code (its own inbox), and the four operations of `DOCUMENT`:
    `guarded` and `notes` refuse as documented, `open` ignores the token, `lax` takes any body."""
    inbox: dict[str, list[dict]] = {}

    def user(body: dict) -> dict:
        return {"id": str(uuid.uuid4()), "email": body.get("email", ""),
                "phone_number": body.get("phone_number", ""),
                "full_name": body.get("full_name", ""), "role": "customer",
                "is_verified": True, "created_at": NOW, "updated_at": NOW}

    def logged_in(request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            jwt.decode(token, KEY, algorithms=["HS256"])
        except jwt.PyJWTError:
            return False
        return scheme == "Bearer"

    async def register(request: Request) -> JSONResponse:
        body = await request.json()
        made = user(body)
        inbox.setdefault(made["phone_number"], []).append(
            {"to": made["phone_number"], "from": "+15005550006", "created_at": NOW,
             "body": "Your LaundryConnect verification code is 123456."})
        access = jwt.encode({"user_id": made["id"], "exp": int(time.time()) + 3600,
                             "token_type": "access"}, KEY, algorithm="HS256")
        return JSONResponse({"user": made, "tokens": {"access": access, "refresh": "r"}},
                            status_code=201)

    async def verify(request: Request) -> JSONResponse:
        return JSONResponse({"user": user(await request.json())})

    async def sms(request: Request) -> JSONResponse:
        return JSONResponse({"results": inbox.get(request.query_params.get("to", ""), [])})

    async def schema(request: Request) -> JSONResponse:
        return JSONResponse(DOCUMENT)

    async def guarded(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True}) if logged_in(request) else \
            error(401, "not_authenticated")

    async def open_(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def notes(request: Request) -> JSONResponse:
        if not logged_in(request):
            return error(401, "not_authenticated")
        content = await request.body()
        if len(content) > BODY_LIMIT:
            return error(413, "request_too_large")
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return error(415, "unsupported_media_type")
        return error(400, "validation_error") if not json.loads(content) else \
            JSONResponse({"ok": True})

    async def lax(request: Request) -> Response:
        if not logged_in(request):
            return error(401, "not_authenticated")
        await request.body()
        return JSONResponse({"ok": True})

    async def pages(request: Request) -> JSONResponse:
        if not logged_in(request):
            return error(401, "not_authenticated")
        if not request.query_params.get("page_size", "20").isdigit():
            return error(400, "validation_error")
        if request.query_params.get("page", "1") != "1":
            return error(404, "not_found")
        return JSONResponse({"count": 0, "next": None, "previous": None, "results": []})

    async def loose_pages(request: Request) -> JSONResponse:
        if not logged_in(request):
            return error(401, "not_authenticated")
        return JSONResponse({"count": 0, "next": None, "previous": None, "results": []})

    return Starlette(routes=[
        Route("/api/accounts/auth/register/", register, methods=["POST"]),
        Route("/api/accounts/verify-otp/", verify, methods=["POST"]),
        Route("/_sandbox/sms/", sms),
        Route("/api/schema/", schema),
        Route("/api/guarded/", guarded),
        Route("/api/open/", open_),
        Route("/api/notes/", notes, methods=["POST"]),
        Route("/api/lax/", lax, methods=["POST"]),
        Route("/api/pages/", pages),
        Route("/api/loose-pages/", loose_pages),
    ])


def test_the_refusal_checks_fail_where_a_backend_does_not_refuse(tmp_path):
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    with serving(build_app()) as url:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "contracts/test_authentication.py",
             "contracts/test_request_bodies.py", "contracts/test_paging.py", "-p", "no:xdist",
             "--base-url", url,
             "--sandbox-url", url, "--out-dir", str(out)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr

    # the run is not green, and never crashes
    assert result.returncode == 1, output
    assert "INTERNALERROR" not in output
    # the operation that ignores the token is an authentication bypass, and its subtest failed
    findings = {(f["kind"], f["call"], f["got"])
                for f in json.loads((out / "findings.json").read_text())}
    bypass = {got for kind, call, got in findings
              if (kind, call) == ("ownership", "GET /api/open/")}
    assert bypass == {"200 with no token", "200 with a garbage token",
                      "200 with the customer's token signed with another key"}, findings
    assert "[GET /api/open/]" in output
    # the operation that takes any body deviates on both refusals
    lax = {got.split(" for ")[0] for kind, call, got in findings
           if (kind, call) == ("status", "POST /api/lax/")}
    assert lax == {"200"}, findings
    assert len([1 for kind, call, _ in findings if call == "POST /api/lax/"]) == 2
    # the list that takes any page deviates on both paging refusals
    assert {got for kind, call, got in findings
            if (kind, call) == ("status", "GET /api/loose-pages/")} == {
        "200 for a page size that is not a number", "200 for a page past the end"}, findings
    assert "[GET /api/loose-pages/ 400]" in output
    # while the operations that refuse as documented (the positive controls) passed
    honest = ("GET /api/guarded/", "POST /api/notes/", "GET /api/pages/")
    assert not [f for f in findings if f[1] in honest], findings
    for case in ("GET /api/guarded/", "POST /api/notes/ 413", "POST /api/notes/ 415",
                 "GET /api/pages/ 400", "GET /api/pages/ 404"):
        assert f"[{case}]" not in output, case
