"""A stand-in that drifts from the contract the way a staging Django/DRF backend with SimpleJWT
does, kept in memory: most calls are served, many of them differently from the contract.

How it drifts:
- customers exist beforehand (no registration, no OTP, no password reset, no logout): login by
  email and password, and the user comes with Django's field names (`phone`, `first_name`,
  `last_name`, `user_type`, `date_joined`) instead of the contract's;
- errors are DRF's: `{"detail": "..."}` for 401/403/404/405, `{"<field>": ["..."]}` for 400;
- a route nobody has answers Django's DEBUG 404 page, which lists the URL patterns;
- the OpenAPI document documents 2xx replies only;
- the catalog's pages are always 2 long, whatever `page_size` asks; filtering the items by
  category crashes (an HTML 500);
- `GET /api/accounts/addresses/{id}/` serves any customer's address (PUT, PATCH and DELETE check
  the owner);
- the push token is saved at `/api/accounts/push-token/`, not at the contract's path;
- no `/api/health/`, no orders, payments, notifications or chat.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape

import jwt
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

SIGNING_KEY = "drifting-staging-signing-key-0123456789abcdef"
ACCESS_SECONDS = 3600
REFRESH_SECONDS = 7 * 24 * 3600
CATALOG_PAGE = 2  # the catalog's page length, whatever `page_size` asks
PAGE_SIZE, MAX_PAGE_SIZE = 20, 100  # the address book honours page_size
URLCONF = "laundry.urls"
SERVER_ERROR_PAGE = ('<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)'
                     '</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n'
                     '</html>\n')
LABELS = ("home", "work", "other")
UNITS = ("piece", "kg", "pair", "set")

Handler = Callable[[Request], Awaitable[Response]]


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def detail(message: str, status: int, **more: object) -> JSONResponse:
    return JSONResponse({"detail": message, **more}, status_code=status)


class Refusal(Exception):
    """A DRF error reply, raised from anywhere in a view."""

    def __init__(self, response: JSONResponse):
        super().__init__(response.status_code)
        self.response = response


def invalid(errors: dict[str, list[str]]) -> Refusal:
    return Refusal(JSONResponse(errors, status_code=400))


@dataclass
class User:
    id: int
    email: str
    phone: str
    password: str
    first_name: str
    last_name: str
    user_type: str
    date_joined: str

    def public(self) -> dict:
        return {"id": self.id, "email": self.email, "phone": self.phone,
                "first_name": self.first_name, "last_name": self.last_name,
                "user_type": self.user_type, "date_joined": self.date_joined}


@dataclass
class State:
    users: dict[int, User] = field(default_factory=dict)
    addresses: dict[int, dict] = field(default_factory=dict)  # id -> row, with its owner
    blacklisted: set[str] = field(default_factory=set)  # refresh tokens' jti
    push_tokens: dict[int, list[dict]] = field(default_factory=dict)
    next_address: int = 1


def names_of(email: str) -> tuple[str, str]:
    parts = [p for p in email.split("@")[0].replace("_", ".").split(".") if p.isalpha()]
    return ((parts[0].title() if parts else "Customer"),
            (parts[1].title() if len(parts) > 1 else ""))


CATEGORIES = [
    {"id": n, "name": name, "description": f"{name} by our partner laundries",
     "icon": f"https://cdn.example.in/icons/{name.lower().replace(' ', '-')}.png",
     "display_order": n, "is_active": True}
    for n, name in enumerate(("Wash and Fold", "Dry Cleaning", "Ironing", "Shoe Care",
                              "Home Linen"), start=1)
]
ITEMS = [
    {"id": n, "category": 1 + (n - 1) % 5, "name": f"Item {n}",
     "description": f"Service item {n}", "base_price": round(19.5 + 7.25 * n, 2),
     "unit": UNITS[n % 4], "image": None, "processing_time": 24 + 12 * (n % 3),
     "is_active": True}
    for n in range(1, 21)
]


# --- Django's DEBUG 404 page ----------------------------------------------------------------------

def debug_404(request: Request, patterns: list[str]) -> HTMLResponse:
    path = request.url.path
    listed = "\n".join(f"        <li>{escape(p)}</li>" for p in patterns)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta http-equiv="content-type" content="text/html; charset=utf-8">
  <title>Page not found at {escape(path)}</title>
  <meta name="robots" content="NONE,NOARCHIVE">
</head>
<body>
  <div id="summary">
    <h1>Page not found <span>(404)</span></h1>
    <table class="meta">
      <tr><th>Request Method:</th><td>{escape(request.method)}</td></tr>
      <tr><th>Request URL:</th><td>{escape(str(request.url))}</td></tr>
    </table>
  </div>
  <div id="info">
      <p>
      Using the URLconf defined in <code>{URLCONF}</code>,
      Django tried these URL patterns, in this order:
      </p>
      <ol>
{listed}
      </ol>
      <p>
        The current path, <code>{escape(path.lstrip('/'))}</code>, didn't match any of these.
      </p>
  </div>
  <div id="explanation">
    <p>
      You're seeing this error because you have <code>DEBUG = True</code> in
      your Django settings file. Change that to <code>False</code>, and Django
      will display a standard 404 page.
    </p>
  </div>
</body>
</html>
"""
    return HTMLResponse(page, status_code=404)


# --- the app --------------------------------------------------------------------------------------

def build_app(customers: list[dict], staff: dict) -> Starlette:
    """The drifting backend, with the customers `[{email, phone_number, password}]` and the
    staff account `{email, password}` already made."""
    state = State()
    for n, account in enumerate([*customers, staff], start=1):
        first, last = names_of(account["email"])
        state.users[n] = User(
            id=n, email=account["email"], phone=account.get("phone_number", ""),
            password=account["password"], first_name=first, last_name=last,
            user_type="staff" if account is staff else "customer", date_joined=now())

    # --- tokens (SimpleJWT, rotating, blacklist after rotation)

    def token(user: User, kind: str) -> str:
        issued = int(time.time())
        lifetime = ACCESS_SECONDS if kind == "access" else REFRESH_SECONDS
        return jwt.encode({"token_type": kind, "exp": issued + lifetime, "iat": issued,
                           "jti": uuid.uuid4().hex, "user_id": user.id},
                          SIGNING_KEY, algorithm="HS256")

    def pair(user: User) -> dict:
        return {"refresh": token(user, "refresh"), "access": token(user, "access")}

    def authenticated(request: Request) -> User:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            raise Refusal(detail("Authentication credentials were not provided.", 401))
        try:
            claims = jwt.decode(header[len("Bearer "):], SIGNING_KEY, algorithms=["HS256"])
        except jwt.PyJWTError:
            claims = {}
        user = state.users.get(claims.get("user_id")) if claims.get(
            "token_type") == "access" else None
        if user is None:
            raise Refusal(detail(
                "Given token not valid for any token type", 401, code="token_not_valid",
                messages=[{"token_class": "AccessToken", "token_type": "access",
                           "message": "Token is invalid or expired"}]))
        return user

    async def body_of(request: Request) -> dict:
        raw = await request.body()
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise Refusal(detail(f"JSON parse error - {error}", 400)) from None
        if not isinstance(body, dict):
            raise invalid({"non_field_errors": [
                f"Invalid data. Expected a dictionary, but got {type(body).__name__}."]})
        return body

    # --- accounts

    async def login(request: Request) -> Response:
        body = await body_of(request)
        errors = {name: ["This field is required."] if name not in body
                  else ["This field may not be null."] for name in ("email", "password")
                  if body.get(name) is None}
        if errors:
            raise invalid(errors)
        found = [u for u in state.users.values()
                 if u.email.lower() == str(body["email"]).lower()
                 and u.password == body["password"]]
        if not found:
            return detail("No active account found with the given credentials", 401)
        return JSONResponse({**pair(found[0]), "user": found[0].public()})

    async def refresh(request: Request) -> Response:
        body = await body_of(request)
        if body.get("refresh") is None:
            raise invalid({"refresh": ["This field is required."]})
        try:
            claims = jwt.decode(str(body["refresh"]), SIGNING_KEY, algorithms=["HS256"])
        except jwt.PyJWTError:
            claims = {}
        user = state.users.get(claims.get("user_id"))
        if claims.get("token_type") != "refresh" or user is None:
            return detail("Token is invalid or expired", 401, code="token_not_valid")
        if claims["jti"] in state.blacklisted:
            return detail("Token is blacklisted", 401, code="token_not_valid")
        state.blacklisted.add(claims["jti"])
        return JSONResponse(pair(user))

    async def me(request: Request) -> Response:
        user = authenticated(request)
        if request.method == "PATCH":
            body = await body_of(request)
            errors = {}
            for name in ("first_name", "last_name"):
                if name in body and not isinstance(body[name], str):
                    errors[name] = ["Not a valid string."]
                elif name in body and len(body[name]) > 150:
                    errors[name] = ["Ensure this field has no more than 150 characters."]
            if errors:
                raise invalid(errors)
            # every other field is read-only or unknown, and ignored as DRF ignores it
            for name in ("first_name", "last_name"):
                if name in body:
                    setattr(user, name, body[name])
        return JSONResponse(user.public())

    async def push_token(request: Request) -> Response:
        user = authenticated(request)
        body = await body_of(request)
        errors = {name: ["This field is required."] for name in ("token", "platform")
                  if not body.get(name)}
        if errors:
            raise invalid(errors)
        row = {"id": len(state.push_tokens.get(user.id, [])) + 1, "token": body["token"],
               "platform": body["platform"], "created_at": now()}
        state.push_tokens.setdefault(user.id, []).append(row)
        return JSONResponse(row, status_code=201)

    # --- pages

    def page(request: Request, rows: list[dict], size: int) -> dict:
        number_text = request.query_params.get("page", "1")
        pages = max(1, -(-len(rows) // size))
        if not number_text.isdigit() or not 1 <= int(number_text) <= pages:
            raise Refusal(detail("Invalid page.", 404))
        number = int(number_text)
        url = request.url

        def link(to: int) -> str:
            return str(url.remove_query_params("page") if to == 1
                       else url.include_query_params(page=to))

        return {"count": len(rows),
                "next": link(number + 1) if number < pages else None,
                "previous": link(number - 1) if number > 1 else None,
                "results": rows[(number - 1) * size:number * size]}

    def asked_page_size(request: Request) -> int:
        asked = request.query_params.get("page_size", "")
        if asked.isdigit() and int(asked) > 0:
            return min(int(asked), MAX_PAGE_SIZE)
        return PAGE_SIZE

    # --- catalog

    async def categories(request: Request) -> Response:
        return JSONResponse(page(request, CATEGORIES, CATALOG_PAGE))

    async def items(request: Request) -> Response:
        if "category" in request.query_params:
            # the filter backend crashes on this staging build
            return HTMLResponse(SERVER_ERROR_PAGE, status_code=500)
        return JSONResponse(page(request, ITEMS, CATALOG_PAGE))

    async def item(request: Request) -> Response:
        wanted = request.path_params["pk"]
        found = [i for i in ITEMS if str(i["id"]) == wanted]
        if not found:
            return detail("Not found.", 404)
        return JSONResponse(found[0])

    # --- addresses

    def public(row: dict) -> dict:
        return {k: v for k, v in row.items() if k != "owner"}

    def coordinate(name: str, value: object, errors: dict) -> str | None:
        if value is None:
            return None
        try:
            number = float(str(value))
        except ValueError:
            errors[name] = ["A valid number is required."]
            return None
        if "." in str(value) and len(str(value).split(".")[1]) > 6:
            errors[name] = ["Ensure that there are no more than 6 decimal places."]
            return None
        return f"{number:.6f}"

    def validated(body: dict, *, partial: bool) -> dict:
        errors: dict[str, list[str]] = {}
        fields: dict[str, object] = {}
        for name, limit in (("address_line1", 255), ("city", 100), ("state", 100)):
            if name not in body:
                if not partial:
                    errors[name] = ["This field is required."]
                continue
            value = body[name]
            if not isinstance(value, str):
                errors[name] = ["Not a valid string."]
            elif not value.strip():
                errors[name] = ["This field may not be blank."]
            elif len(value) > limit:
                errors[name] = [f"Ensure this field has no more than {limit} characters."]
            else:
                fields[name] = value
        if "address_line2" in body:
            line = body["address_line2"]
            if line is not None and (not isinstance(line, str) or len(line) > 255):
                errors["address_line2"] = ["Ensure this field has no more than 255 characters."]
            else:
                fields["address_line2"] = line or ""
        if "label" in body:
            if body["label"] not in LABELS:
                errors["label"] = [f'"{body["label"]}" is not a valid choice.']
            else:
                fields["label"] = body["label"]
        elif not partial:
            errors["label"] = ["This field is required."]
        if "pincode" in body:
            pin = body["pincode"]
            problems = []
            if isinstance(pin, str) and len(pin) > 6:
                problems.append("Ensure this field has no more than 6 characters.")
            if not (isinstance(pin, str) and len(pin) == 6 and pin.isdigit() and pin[0] != "0"):
                problems.append("Enter a valid value.")
            if problems:
                errors["pincode"] = problems
            else:
                fields["pincode"] = pin
        elif not partial:
            errors["pincode"] = ["This field is required."]
        for name in ("latitude", "longitude"):
            if name in body:
                fields[name] = coordinate(name, body[name], errors)
        if "is_default" in body:
            if not isinstance(body["is_default"], bool):
                errors["is_default"] = ["Must be a valid boolean."]
            else:
                fields["is_default"] = body["is_default"]
        if errors:
            raise invalid(errors)
        return fields

    def book_of(user: User) -> list[dict]:
        return sorted((row for row in state.addresses.values() if row["owner"] == user.id),
                      key=lambda row: row["id"])

    def make_default(user: User, row: dict) -> None:
        for other in book_of(user):
            other["is_default"] = other is row

    def owned(user: User, address_id: str) -> dict:
        row = state.addresses.get(int(address_id)) if address_id.isdigit() else None
        if row is None or row["owner"] != user.id:
            raise Refusal(detail("Not found.", 404))
        return row

    async def addresses(request: Request) -> Response:
        user = authenticated(request)
        if request.method == "GET":
            return JSONResponse(page(request, [public(r) for r in book_of(user)],
                                     asked_page_size(request)))
        fields = validated(await body_of(request), partial=False)
        row = {"id": state.next_address, "owner": user.id, "label": fields["label"],
               "address_line1": fields["address_line1"],
               "address_line2": fields.get("address_line2", ""), "city": fields["city"],
               "state": fields["state"], "pincode": fields["pincode"],
               "latitude": fields.get("latitude"), "longitude": fields.get("longitude"),
               "is_default": False, "created_at": now()}
        state.next_address += 1
        first = not book_of(user)
        state.addresses[row["id"]] = row
        if first or fields.get("is_default"):
            make_default(user, row)
        return JSONResponse(public(row), status_code=201)

    async def address(request: Request) -> Response:
        user = authenticated(request)
        address_id = request.path_params["pk"]
        if request.method == "GET":
            # the planted defect: the detail view's queryset is every address, not the user's
            row = state.addresses.get(int(address_id)) if address_id.isdigit() else None
            if row is None:
                return detail("Not found.", 404)
            return JSONResponse(public(row))
        row = owned(user, address_id)
        if request.method == "DELETE":
            del state.addresses[row["id"]]
            rest = book_of(user)
            if row["is_default"] and rest:
                make_default(user, rest[-1])
            return Response(status_code=204)
        fields = validated(await body_of(request), partial=request.method == "PATCH")
        if request.method == "PUT":
            fields.setdefault("address_line2", "")
            fields.setdefault("latitude", None)
            fields.setdefault("longitude", None)
        wants_default = fields.pop("is_default", None)
        row.update(fields)
        if wants_default:
            make_default(user, row)
        return JSONResponse(public(row))

    # --- the schema

    async def schema(request: Request) -> Response:
        return JSONResponse(openapi(routes, request))

    routes: list[tuple[str, tuple[str, ...], Handler, str, str | None]] = [
        # path, methods, view, Django's pattern as the debug page lists it, reply schema
        ("/api/accounts/auth/login/", ("POST",), login,
         "api/accounts/ auth/login/ [name='token_obtain_pair']", "TokenObtainPair"),
        ("/api/accounts/auth/token/refresh/", ("POST",), refresh,
         "api/accounts/ auth/token/refresh/ [name='token_refresh']", "TokenRefresh"),
        ("/api/accounts/me/", ("GET", "PATCH"), me, "api/accounts/ me/ [name='me']", "User"),
        ("/api/accounts/push-token/", ("POST",), push_token,
         "api/accounts/ push-token/ [name='push-token']", "PushToken"),
        ("/api/accounts/addresses/", ("GET", "POST"), addresses,
         "api/accounts/ ^addresses/$ [name='address-list']", "Address"),
        ("/api/accounts/addresses/{pk}/", ("GET", "PUT", "PATCH", "DELETE"), address,
         "api/accounts/ ^addresses/(?P<pk>[^/.]+)/$ [name='address-detail']", "Address"),
        ("/api/services/categories/", ("GET",), categories,
         "api/services/ ^categories/$ [name='category-list']", "Category"),
        ("/api/services/items/", ("GET",), items,
         "api/services/ ^items/$ [name='serviceitem-list']", "ServiceItem"),
        ("/api/services/items/{pk}/", ("GET",), item,
         "api/services/ ^items/(?P<pk>[^/.]+)/$ [name='serviceitem-detail']", "ServiceItem"),
        ("/api/schema/", ("GET",), schema, "api/schema/ [name='schema']", None),
    ]
    patterns = ["admin/", *[pattern for _, _, _, pattern, _ in routes],
                "^media/(?P<path>.*)$"]

    def view(handler: Handler) -> Handler:
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except Refusal as refusal:
                return refusal.response
        return run

    async def not_found(request: Request, exc: Exception) -> Response:
        return debug_404(request, patterns)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return detail(f'Method "{request.method}" not allowed.', 405)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        return detail(exc.detail, exc.status_code)

    return Starlette(
        routes=[Route(path, view(handler), methods=list(methods))
                for path, methods, handler, _, _ in routes],
        exception_handlers={404: not_found, 405: not_allowed, HTTPException: http_error},
    )


# --- the OpenAPI document: what is served, with its 2xx replies only ------------------------------

def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def paginated(name: str) -> dict:
    return {"type": "object", "required": ["count", "results"], "properties": {
        "count": {"type": "integer"},
        "next": {"type": "string", "format": "uri", "nullable": True},
        "previous": {"type": "string", "format": "uri", "nullable": True},
        "results": {"type": "array", "items": ref(name)}}}


STRING, INTEGER = {"type": "string"}, {"type": "integer"}
COMPONENTS = {
    "User": {"type": "object", "properties": {
        "id": {"type": "integer", "readOnly": True}, "email": {"type": "string", "format": "email"},
        "phone": STRING, "first_name": STRING, "last_name": STRING,
        "user_type": {"enum": ["customer", "staff"]},
        "date_joined": {"type": "string", "format": "date-time", "readOnly": True}}},
    "TokenObtainPair": {"type": "object", "properties": {
        "email": {"type": "string", "writeOnly": True},
        "password": {"type": "string", "writeOnly": True},
        "access": {"type": "string", "readOnly": True},
        "refresh": {"type": "string", "readOnly": True}, "user": ref("User")}},
    "TokenRefresh": {"type": "object", "properties": {
        "access": {"type": "string", "readOnly": True}, "refresh": STRING}},
    "PushToken": {"type": "object", "properties": {
        "id": INTEGER, "token": STRING, "platform": STRING,
        "created_at": {"type": "string", "format": "date-time"}}},
    "Address": {"type": "object", "required": ["label", "address_line1", "city", "state",
                                               "pincode"], "properties": {
        "id": {"type": "integer", "readOnly": True}, "label": {"enum": list(LABELS)},
        "address_line1": {"type": "string", "maxLength": 255},
        "address_line2": {"type": "string", "maxLength": 255},
        "city": {"type": "string", "maxLength": 100},
        "state": {"type": "string", "maxLength": 100},
        "pincode": {"type": "string", "pattern": "^[1-9][0-9]{5}$"},
        "latitude": {"type": "string", "format": "decimal", "nullable": True},
        "longitude": {"type": "string", "format": "decimal", "nullable": True},
        "is_default": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time", "readOnly": True}}},
    "Category": {"type": "object", "properties": {
        "id": INTEGER, "name": STRING, "description": STRING, "icon": STRING,
        "display_order": INTEGER, "is_active": {"type": "boolean"}}},
    "ServiceItem": {"type": "object", "properties": {
        "id": INTEGER, "category": INTEGER, "name": STRING, "description": STRING,
        "base_price": {"type": "number"}, "unit": {"enum": list(UNITS)},
        "image": {"type": "string", "nullable": True}, "processing_time": INTEGER,
        "is_active": {"type": "boolean"}}},
}
LISTS = {"/api/accounts/addresses/", "/api/services/categories/", "/api/services/items/"}
PUBLIC = {"/api/accounts/auth/login/", "/api/accounts/auth/token/refresh/",
          "/api/services/categories/", "/api/services/items/", "/api/services/items/{pk}/",
          "/api/schema/"}


def openapi(routes: list, request: Request) -> dict:
    paths: dict[str, dict] = {}
    for path, methods, _, _, reply in routes:
        for method in methods:
            operation: dict = {"operationId": f"{path.strip('/').replace('/', '_')}_"
                                              f"{method.lower()}",
                               "tags": [path.split("/")[2]]}
            if "{pk}" in path:
                operation["parameters"] = [{"in": "path", "name": "pk", "required": True,
                                            "schema": STRING}]
            if method == "GET" and path in LISTS:
                operation["parameters"] = [
                    {"in": "query", "name": "page", "schema": INTEGER},
                    {"in": "query", "name": "page_size", "schema": INTEGER}]
            if method in ("POST", "PUT", "PATCH") and reply:
                operation["requestBody"] = {"required": method != "PATCH", "content": {
                    "application/json": {"schema": ref(reply)}}}
            if method == "DELETE":
                operation["responses"] = {"204": {"description": "No response body"}}
            elif reply is None:
                operation["responses"] = {"200": {"description": "OpenAPI 3 document"}}
            else:
                shape = paginated(reply) if method == "GET" and path in LISTS else ref(reply)
                status = "201" if method == "POST" and path in (
                    "/api/accounts/addresses/", "/api/accounts/push-token/") else "200"
                operation["responses"] = {status: {"description": "", "content": {
                    "application/json": {"schema": shape}}}}
            operation["security"] = [{}] if path in PUBLIC else [{"jwtAuth": []}]
            paths.setdefault(path, {})[method.lower()] = operation
    return {"openapi": "3.0.3",
            "info": {"title": "Laundry API", "version": "0.9.0-staging"},
            "servers": [{"url": str(request.base_url).rstrip("/")}],
            "paths": paths,
            "components": {"schemas": COMPONENTS, "securitySchemes": {
                "jwtAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}}
