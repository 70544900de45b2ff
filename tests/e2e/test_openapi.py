"""test_openapi.py: openapi.yaml cannot drift from the route table. Every route
of `saasd routes` is in the spec with the same method and auth kind (the
`x-saasd-auth` extension and a matching security requirement), every
operation in the spec is a real route, every `$ref` resolves, every path
parameter is declared, and the spec's error codes are exactly those of
src/core/status.def.

The YAML is read with PyYAML when it is installed, else with node and the
npm package `yaml` of tests/node (scripts/npm-deps.sh); with neither, the
tests are skipped."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile

import harness
from harness import Shared, expect_error
from orgkit import Tenant, new_email

SPEC_PATH = os.path.join(harness.ROOT, "openapi.yaml")
STATUS_DEF = os.path.join(harness.ROOT, "src", "core", "status.def")
NODE_MODULES = os.path.join(harness.ROOT, "tests", "node", "node_modules")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# The security requirement each auth kind of src/http/router.h implies, for
# the secret key; the route's key kinds add the publishable key: with or
# without a session ("publishable") or only with one ("publishable_session").
SECURITY = {
    "none": None,  # /health is open, /metrics optionally takes METRICS_TOKEN
    "admin": [{"adminToken": []}],
    "key": [{"secretKey": []}, {"secretKey": [], "sessionToken": []}],
    "system": [{"secretKey": []}],
    "session": [{"secretKey": [], "sessionToken": []}],
}


def security_of(route):
    want = SECURITY[route["auth"]]
    if want is None:
        return None
    want = list(want)
    keys = route["keys"]
    if "publishable" in keys and route["auth"] == "key":
        want.append({"publishableKey": []})
    if "publishable" in keys or "publishable_session" in keys:
        want.append({"publishableKey": [], "sessionToken": []})
    # a session route also takes the browser's session cookie
    if route["auth"] == "session" and "publishable" in keys:
        want.append({"publishableKey": [], "cookieSession": []})
    return want

_spec = None
_routes = None


def load_yaml(path):
    try:
        import yaml
        with open(path, encoding="utf-8") as f:
            return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except ImportError:
        pass
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(NODE_MODULES, "yaml")):
        raise harness.Skip("no YAML parser: neither PyYAML nor node with tests/node/node_modules/yaml")
    script = ("const fs = require('fs'); const YAML = require(process.argv[1]);"
              "process.stdout.write(JSON.stringify(YAML.parse(fs.readFileSync(process.argv[2], 'utf8'))));")
    out = subprocess.run([node, "-e", script, os.path.join(NODE_MODULES, "yaml"), path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    return json.loads(out.stdout)


def spec():
    global _spec
    if _spec is None:
        _spec = load_yaml(SPEC_PATH)
    return _spec


def routes():
    global _routes
    if _routes is not None:
        return _routes
    r = subprocess.run([harness.BIN, "routes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")
    _routes = json.loads(r.stdout)
    assert len(_routes) > 0
    return _routes


def openapi_path(pattern):
    """/organizations/:id/members/:userId -> /organizations/{id}/members/{userId}"""
    return re.sub(r":([A-Za-z_][A-Za-z0-9_]*)", r"{\1}", pattern)


def operations():
    """(METHOD, path, operation) for every operation in the spec."""
    for path, item in spec()["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method.upper(), path, op


def resolve(pointer):
    assert pointer.startswith("#/"), "only local references are used: %s" % pointer
    node = spec()
    for part in pointer[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, "unresolved $ref %s" % pointer
        node = node[part]
    return node


def test_openapi_is_version_3_1_with_the_security_schemes_the_routes_use():
    s = spec()
    assert str(s["openapi"]).startswith("3.1"), s["openapi"]
    schemes = s["components"]["securitySchemes"]
    assert set(schemes) >= {"secretKey", "publishableKey", "sessionToken", "adminToken",
                            "metricsToken"}, sorted(schemes)
    for name, prefix in (("secretKey", "sk_live_"), ("publishableKey", "pk_live_")):
        assert schemes[name]["type"] == "http" and schemes[name]["scheme"] == "bearer", name
        assert schemes[name]["bearerFormat"].startswith(prefix), schemes[name]
    assert schemes["sessionToken"] == {**schemes["sessionToken"], "type": "apiKey",
                                       "in": "header", "name": "X-Session-Token"}
    assert schemes["cookieSession"] == {**schemes["cookieSession"], "type": "apiKey",
                                        "in": "cookie", "name": "saasd_session"}
    assert schemes["adminToken"]["scheme"] == "bearer"
    assert schemes["metricsToken"]["scheme"] == "bearer"
    # every scheme an operation names is declared, and every declared one is used
    used = {name for _, _, op in operations() for req in op.get("security", [])
            for name in req}
    assert used <= set(schemes), sorted(used - set(schemes))
    assert used == set(schemes), "declared but unused: %s" % sorted(set(schemes) - used)


def test_every_route_is_in_the_spec_with_its_method_and_auth_kind():
    missing, wrong = [], []
    for r in routes():
        path = openapi_path(r["path"])
        op = spec()["paths"].get(path, {}).get(r["method"].lower())
        if op is None:
            missing.append("%s %s" % (r["method"], path))
            continue
        if op.get("x-saasd-auth") != r["auth"]:
            wrong.append("%s %s: x-saasd-auth %r, route %r" % (r["method"], path,
                                                               op.get("x-saasd-auth"), r["auth"]))
        want = security_of(r)
        if want is not None and op.get("security") != want:
            wrong.append("%s %s: security %r, auth %s needs %r" % (r["method"], path,
                                                                   op.get("security"), r["auth"], want))
    assert not missing, "routes missing from openapi.yaml: %s" % missing
    assert not wrong, "\n".join(wrong)


def test_every_operation_in_the_spec_is_a_real_route():
    real = {(r["method"], openapi_path(r["path"])) for r in routes()}
    extra = ["%s %s" % (m, p) for m, p, _ in operations() if (m, p) not in real]
    assert not extra, "openapi.yaml describes routes that do not exist: %s" % extra


def test_open_routes_are_public_or_optionally_guarded():
    for r in routes():
        if r["auth"] != "none":
            continue
        op = spec()["paths"][openapi_path(r["path"])][r["method"].lower()]
        sec = op.get("security")
        assert sec is not None, "%s %s must state its security" % (r["method"], r["path"])
        assert sec == [] or {} in sec, "%s %s: %r" % (r["method"], r["path"], sec)


def test_every_operation_answers_in_the_error_envelope_and_has_a_success():
    for method, path, op in operations():
        codes = [c for c in op["responses"] if c != "default"]
        assert any(c.startswith("2") for c in codes), "%s %s has no 2xx" % (method, path)
        assert op.get("operationId"), "%s %s has no operationId" % (method, path)
        for code, resp in op["responses"].items():
            if code.startswith("2") or code == "304":
                continue
            if "$ref" in resp:
                resp = resolve(resp["$ref"])
            schema = resp.get("content", {}).get("application/json", {}).get("schema", {})
            if code == "503" and path == "/health":
                continue  # the health document itself, not an error
            assert schema.get("$ref") in ERROR_SCHEMAS, \
                "%s %s %s is not the error envelope" % (method, path, code)


# the error envelope, and its 402 form with the quota at the top level
ERROR_SCHEMAS = ("#/components/schemas/Error", "#/components/schemas/QuotaExceededError")


def test_error_schemas_share_the_error_object():
    for ref in ERROR_SCHEMAS:
        schema = resolve(ref)
        assert "error" in schema["required"], ref
        assert schema["properties"]["error"] == {"$ref": "#/components/schemas/ErrorObject"}, ref


def test_every_ref_resolves_and_every_path_parameter_is_declared():
    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref" and isinstance(v, str):
                    resolve(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(spec())
    for path, item in spec()["paths"].items():
        wanted = set(re.findall(r"\{([^}]+)\}", path))
        for method, op in item.items():
            if method not in METHODS:
                continue
            params = [resolve(p["$ref"]) if "$ref" in p else p
                      for p in item.get("parameters", []) + op.get("parameters", [])]
            declared = {p["name"] for p in params if p["in"] == "path"}
            assert declared == wanted, "%s %s: path parameters %s, declared %s" % (
                method.upper(), path, sorted(wanted), sorted(declared))


def test_error_codes_are_exactly_those_of_status_def():
    with open(STATUS_DEF, encoding="utf-8") as f:
        table = re.findall(r'^X\(\s*ST_\w+\s*,\s*(\d+)\s*,\s*"([a-z_]+)"', f.read(), re.M)
    codes = {code for http, code in table if int(http) >= 400}
    assert codes, "no codes parsed from status.def"
    enum = set(spec()["components"]["schemas"]["ErrorCode"]["enum"])
    assert enum == codes, "only in openapi.yaml: %s; only in status.def: %s" % (
        sorted(enum - codes), sorted(codes - enum))


def test_saasd_routes_prints_every_declared_field_of_every_route():
    """Besides method, path and auth: which key kinds may call (tenant-key
    routes: secret keys always, the system ones nothing else; the others a
    publishable key too, with or without a session, or only with one), the
    fixed RBAC permission or null,
    the audit action (null exactly on GET routes), offload and the body cap."""
    by = {(r["method"], r["path"]): r for r in routes()}
    for r in routes():
        assert set(r) == {"method", "path", "auth", "keys", "permission", "action",
                          "offload", "max_body", "read_only"}, r
        assert r["read_only"] == (r["method"] == "GET" or r["path"] == "/auth/token"), r
        assert r["max_body"] == (1024 * 1024 if r["path"] == "/usage/events" else 65536), r
        tenant_key = r["auth"] in ("key", "system", "session")
        if not tenant_key:
            assert r["keys"] == [], r
        elif r["auth"] == "system":
            assert r["keys"] == ["secret"], r
        else:
            assert r["keys"] in (["secret", "publishable"], ["secret", "publishable_session"]), r
        assert (r["action"] is None) == r["read_only"], r
        assert r["action"] is None or re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", r["action"]), r
        assert r["permission"] is None or re.fullmatch(r"[a-z0-9_-]+(:[a-z0-9_-]+)+",
                                                       r["permission"]), r
        assert isinstance(r["offload"], bool), r
    assert by[("POST", "/auth/login")]["offload"] is True
    assert by[("POST", "/auth/login")]["keys"] == ["secret", "publishable"]
    assert by[("GET", "/organizations/:id")]["keys"] == ["secret", "publishable_session"]
    assert by[("POST", "/api-keys")]["keys"] == ["secret"]
    assert by[("GET", "/auth/session")]["offload"] is False
    assert by[("DELETE", "/organizations/:id/members/:userId")]["action"] == \
        "organization.member.remove"
    assert by[("PATCH", "/organizations/:id")]["permission"] == "org:update"
    assert by[("DELETE", "/organizations/:id/members/:userId")]["permission"] is None
    assert by[("GET", "/health")]["permission"] is None


# --- GET /openapi.json -------------------------------------------------------------
# The spec served by the binary, the YAML read as JSON: with PyYAML (the
# build's converter) and, when tests/node has it, with the npm `yaml` package
# (a YAML 1.2 reader, as OpenAPI 3.1 asks): both must read the same document.

SHARED = Shared(env={"RATE_LIMIT_PER_MINUTE": "100000", "WEBHOOK_ALLOW_PRIVATE": "true"})


def teardown_module():
    SHARED.stop()


def node_yaml(path):
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(NODE_MODULES, "yaml")):
        return None
    script = ("const fs = require('fs'); const YAML = require(process.argv[1]);"
              "process.stdout.write(JSON.stringify(YAML.parse(fs.readFileSync(process.argv[2], 'utf8'))));")
    out = subprocess.run([node, "-e", script, os.path.join(NODE_MODULES, "yaml"), path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    return json.loads(out.stdout)


def test_openapi_json_serves_the_yaml_as_json_without_a_key():
    srv = SHARED.get()
    r = srv.request("GET", "/openapi.json")
    assert r.status == 200, r
    assert r.header("Content-Type") == "application/json", r.headers
    assert r.header("Cache-Control") == "public, max-age=300", r.headers
    assert re.fullmatch(r'"[0-9a-f]{32}"', r.header("ETag") or ""), r.headers
    for h in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
        assert r.header(h) is None, r.headers  # no key, no tenant
    served = json.loads(r.raw)
    assert served == json.loads(json.dumps(spec())), "the served JSON is not openapi.yaml"
    other = node_yaml(SPEC_PATH)
    if other is not None:
        assert served == other, "YAML 1.1 (PyYAML) and 1.2 (npm yaml) read openapi.yaml apart"
    # one Cache-Control header, not no-store beside it (http.client and
    # raw_http keep one of repeated headers: count them in the raw head)
    head = raw_head(srv.port, b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert head.lower().count(b"\r\ncache-control:") == 1, head


def raw_head(port, request):
    """The raw header block of the answer to request."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.partition(b"\r\n\r\n")[0]
    finally:
        s.close()


def test_openapi_json_answers_304_to_its_etag():
    srv = SHARED.get()
    etag = srv.request("GET", "/openapi.json").header("ETag")
    for given in (etag, "W/" + etag, '"nope", ' + etag, "*"):
        r = srv.request("GET", "/openapi.json", headers={"If-None-Match": given})
        assert r.status == 304 and r.raw == "", (given, r)
        assert r.header("ETag") == etag and r.header("Cache-Control") == "public, max-age=300"
    r = srv.request("GET", "/openapi.json", headers={"If-None-Match": '"0123"'})
    assert r.status == 200 and r.json["openapi"] == spec()["openapi"], r


def test_openapi_yaml_changes_rebuild_the_embedded_json():
    """make knows build/gen/openapi_json.c comes from openapi.yaml (asked with
    make -n -W openapi.yaml: nothing is built)."""
    if shutil.which("make") is None or os.path.relpath(harness.BIN, harness.ROOT).startswith(".."):
        raise harness.Skip("the binary under test was not built by this checkout's Makefile")
    build = os.path.relpath(os.path.dirname(harness.BIN), harness.ROOT)
    r = subprocess.run(["make", "-n", "--no-print-directory", "-W", "openapi.yaml",
                        "BUILD=" + build, build + "/saasd"], cwd=harness.ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    out = r.stdout.decode()
    assert "embed-openapi.py openapi.yaml %s/gen/openapi_json.c" % build in out, out
    assert "-o %s/saasd" % build in out, out


# --- what code generators need ---------------------------------------------------

def walk_schemas(node, where=""):
    """(where, schema) for every mapping of the document (a superset of its schemas)."""
    if isinstance(node, dict):
        yield where, node
        for k, v in node.items():
            yield from walk_schemas(v, where + "/" + str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk_schemas(v, "%s/%d" % (where, i))


def deref(node):
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(node["$ref"])
    return node


def is_array(schema):
    t = schema.get("type")
    return t == "array" or (isinstance(t, list) and "array" in t)


def test_every_array_schema_declares_its_items():
    bare = [w for w, n in walk_schemas(spec()) if is_array(n) and "items" not in n]
    assert not bare, "type: array without items: %s" % bare
    # nor items without a type (a generator reads such a member as unknown)
    untyped = [w for w, n in walk_schemas(spec())
               if "items" in n and isinstance(n["items"], dict) and "type" not in n
               and "$ref" not in n and "/properties/items" not in w
               and not w.endswith("/examples") and not w.endswith("/example")]
    assert not untyped, "items without type: array: %s" % untyped


def list_operations():
    """Operations that page (take the Limit parameter)."""
    for method, path, op in operations():
        params = spec()["paths"][path].get("parameters", []) + op.get("parameters", [])
        if {"$ref": "#/components/parameters/Limit"} in params:
            yield method, path, op


def test_every_list_answer_declares_its_item_type():
    lists = list(list_operations())
    assert len(lists) >= 10, lists
    for method, path, op in lists:
        schema = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in schema and "allOf" not in deref(schema), (method, path, schema)
        body = deref(schema)
        assert set(body["required"]) >= {"data", "has_more", "next_cursor"}, (method, path)
        data = body["properties"]["data"]
        assert data.get("type") == "array", (method, path, data)
        item = data["items"]
        assert "$ref" in item, "%s %s: data items are not a named schema: %r" % (method, path, item)
        assert deref(item).get("type") == "object", (method, path, item)


# Request members whose absence the server fills in (API.md, src/api/*.c):
# optional in the spec, with that default declared.
SERVER_DEFAULTS = {
    ("post", "/api-keys"): {"type": "secret"},
    ("post", "/organizations/{id}/invitations"): {"role": "member"},
    ("post", "/organizations/{id}/usage"): {"quantity": 1},
    ("post", "/tiers"): {"price_cents": 0, "trial_days": 0, "features": [], "limits": {}},
    ("post", "/webhooks"): {"enabled": True},
}


def body_schema(method, path):
    op = spec()["paths"][path][method]
    return deref(deref(op["requestBody"])["content"]["application/json"]["schema"])


def test_request_members_with_a_server_default_are_optional_and_declare_it():
    for method, path, op in operations():
        if "requestBody" not in op:
            continue
        schema = body_schema(method.lower(), path)
        for name, prop in schema.get("properties", {}).items():
            has_default = "default" in prop or "default" in deref(prop)
            assert not (has_default and name in schema.get("required", [])), \
                "%s %s: %s has a default but is required" % (method, path, name)
            # openapi-typescript reads a default in components/schemas as a
            # member always present: a body with defaults is not one of them
            ref = deref(op["requestBody"])["content"]["application/json"]["schema"].get("$ref")
            assert not (has_default and ref and ref.startswith("#/components/schemas/")), \
                "%s %s: %s has a default in %s (a generator makes it required)" % (
                    method, path, name, ref)
    for (method, path), defaults in SERVER_DEFAULTS.items():
        schema = body_schema(method, path)
        for name, value in defaults.items():
            assert name not in schema.get("required", []), (method, path, name)
            prop = schema["properties"][name]
            got = prop["default"] if "default" in prop else deref(prop).get("default")
            assert got == value, "%s %s: %s default %r, server %r" % (method, path, name, got,
                                                                       value)


def test_every_default_is_a_value_of_its_own_schema():
    types = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list,
             "null": type(None), "number": (int, float)}
    bad = []
    for where, node in walk_schemas(spec()):
        if "default" not in node or "/properties/default" in where:
            continue
        value, schema = node["default"], dict(deref(node), **node)
        t = schema.get("type")
        allowed = t if isinstance(t, list) else [t] if t else []
        if allowed and not any(isinstance(value, types[x]) and
                               not (x in ("integer", "number") and isinstance(value, bool))
                               for x in allowed):
            bad.append("%s: %r is not %s" % (where, value, t))
        if "enum" in schema and value not in schema["enum"]:
            bad.append("%s: %r not in %s" % (where, value, schema["enum"]))
    assert not bad, "\n".join(bad)


def test_the_server_fills_in_the_declared_defaults():
    srv = SHARED.get()
    t = Tenant(srv)
    key = t.ok(201, "POST", "/api-keys", {"name": "k"})
    assert key["key"].startswith("sk_live_") and key["api_key"]["type"] == "secret", key
    owner = t.register()
    org = t.create_org(owner)
    inv = t.ok(201, "POST", "/organizations/%s/invitations" % org["id"], {"email": new_email()})
    assert inv["role"] == "member", inv
    use = t.ok(201, "POST", "/organizations/%s/usage" % org["id"], {"metric": "api_calls"})
    assert use["quantity"] == 1, use
    tier = t.ok(201, "POST", "/tiers", {"key": "basic", "name": "Basic", "interval": "month"})
    assert (tier["price_cents"], tier["trial_days"], tier["features"], tier["limits"]) == \
        (0, 0, [], {}), tier
    hook = t.ok(201, "POST", "/webhooks", {"url": "http://127.0.0.1:1/hook", "events": ["*"]})
    assert hook["enabled"] is True, hook


def check_required(schema, value, where):
    """value has every required member of schema, recursively through
    properties (a light check: types of required scalars only)."""
    schema = deref(schema)
    types = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list}
    t = schema.get("type")
    if isinstance(t, str) and t in types and not (t == "integer" and isinstance(value, bool)):
        assert isinstance(value, types[t]), "%s: %r is not %s" % (where, value, t)
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, "%s: %s missing from %r" % (where, name, value)
        for name, prop in schema.get("properties", {}).items():
            if name in value:
                check_required(prop, value[name], where + "." + name)


def test_quota_exceeded_answers_declare_their_top_level_members():
    fours = [(m, p, op["responses"]["402"]) for m, p, op in operations() if "402" in op["responses"]]
    assert fours, "no route declares 402"
    for method, path, resp in fours:
        schema = deref(resp)["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/QuotaExceededError"}, (method, path)
    declared = resolve("#/components/schemas/QuotaExceededError")
    assert set(declared["required"]) >= {"error", "metric", "limit", "used"}, declared
    # and the server sends what it declares (usage past its limit)
    srv = SHARED.get()
    t = Tenant(srv)
    owner = t.register()
    org = t.create_org(owner)
    tier = t.ok(201, "POST", "/tiers", {"key": "one", "name": "One", "interval": "month",
                                       "limits": {"api_calls": 1}})
    t.ok(201, "POST", "/organizations/%s/subscription" % org["id"], {"tier": tier["key"]})
    t.ok(201, "POST", "/organizations/%s/usage" % org["id"], {"metric": "api_calls"})
    r = t.call("POST", "/organizations/%s/usage" % org["id"], {"metric": "api_calls"})
    expect_error(r, 402, "quota_exceeded")
    check_required(declared, r.json, "402")
    assert (r.json["metric"], r.json["limit"], r.json["used"]) == ("api_calls", 1, 1), r.json
    assert set(r.json) <= set(declared["properties"]), r.json


RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def declared_headers(resp):
    return set(deref(resp).get("headers", {}))


def test_rate_limit_headers_are_declared_on_401_413_415_and_retry_after_on_429():
    missing = []
    for method, path, op in operations():
        if op.get("x-saasd-auth") not in ("key", "system", "session"):
            continue
        codes = ["401", "429"] + (["413", "415"] if "requestBody" in op else [])
        for code in codes:
            if code not in op["responses"]:
                missing.append("%s %s: no %s answer" % (method, path, code))
                continue
            want = set(RATE_LIMIT_HEADERS) | ({"Retry-After"} if code == "429" else set())
            lacking = want - declared_headers(op["responses"][code])
            if lacking:
                missing.append("%s %s %s: no %s" % (method, path, code, sorted(lacking)))
    assert not missing, "\n".join(missing)


def test_401_413_415_answers_carry_the_rate_limit_headers_with_a_valid_key():
    srv = SHARED.get()
    t = Tenant(srv)
    auth = b"Authorization: Bearer " + t.key.encode() + b"\r\n"
    answers = {
        "401 invalid_session": t.call("GET", "/auth/session"),
        "401 invalid_session (bad token)": t.call("GET", "/tenant", user="A" * 43),
        "415": t.call("POST", "/organizations", raw=b"{}", content_type="text/plain"),
        "413 Content-Length": harness.raw_http(
            srv.port, b"POST /organizations HTTP/1.1\r\nHost: x\r\n" + auth +
            b"Content-Type: application/json\r\nContent-Length: 70000\r\n\r\n", b"x" * 70000),
        "413 chunked": harness.raw_http(
            srv.port, b"POST /organizations HTTP/1.1\r\nHost: x\r\n" + auth +
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            harness.chunked(b"x" * 70000)),
    }
    for what, r in answers.items():
        assert r.status == int(what[:3]), (what, r)
        for h in RATE_LIMIT_HEADERS:
            assert re.fullmatch(r"\d+", r.header(h) or ""), (what, h, r.headers)
    remaining = [int(r.header("RateLimit-Remaining")) for r in answers.values()]
    assert remaining == sorted(remaining, reverse=True) and len(set(remaining)) == len(remaining), \
        "each refused call counts: %s" % remaining
    # without a (valid) key there is no tenant to count against
    for r in (srv.request("GET", "/tenant"), srv.request("GET", "/tenant", key="sk_live_" + "x" * 43),
              harness.raw_http(srv.port, b"POST /organizations HTTP/1.1\r\nHost: x\r\n"
                               b"Content-Length: 70000\r\n\r\n", b"x" * 70000)):
        assert r.status in (401, 413), r
        assert all(r.header(h) is None for h in RATE_LIMIT_HEADERS), r.headers


# --- a generator proof ---------------------------------------------------------------
# The document is valid OpenAPI 3.1 (@readme/openapi-parser, against the
# official schema); openapi-typescript (tests/node, pinned) turns it into
# TypeScript without a warning; then the TypeScript compiler checks, in strict mode,
# that the generated types say what a client needs: list items typed (not
# unknown), members with a server default optional, the 402 answer's
# top-level members present (tests/e2e/openapi_types.mjs).

TYPES_SCRIPT = os.path.join(harness.ROOT, "tests", "e2e", "openapi_types.mjs")
NODE_DIR = os.path.join(harness.ROOT, "tests", "node")


def node_tools():
    """tests/node installed with openapi-typescript (scripts/npm-deps.sh
    when missing or older than the lockfile), else Skip."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise harness.Skip("node or npm is not installed")
    r = subprocess.run([os.path.join(harness.ROOT, "scripts", "npm-deps.sh"), NODE_DIR],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise harness.Skip("npm ci in tests/node failed: %s" % r.stdout.decode()[-600:])
    for pkg in ("openapi-typescript", "typescript"):
        assert os.path.isdir(os.path.join(NODE_DIR, "node_modules", pkg)), pkg


def ts_path(path):
    return json.dumps(path)


def type_checks():
    """The TypeScript assertions about the generated types, one per list
    route, server default and 402 answer."""
    out = ['import type { components, paths } from "./api";',
           "type Loose<T> = unknown extends T ? true : false;",
           "type Optional<T, K extends keyof T> = {} extends Pick<T, K> ? true : false;", ""]
    for i, (method, path, _) in enumerate(list_operations()):
        t = "L%d" % i
        out += ['type %s = paths[%s]["%s"]["responses"][200]["content"]["application/json"];'
                % (t, ts_path(path), method.lower()),
                "export const %s_items_typed: Loose<%s[\"data\"][number]> = false;" % (t.lower(), t),
                "export const %s_page: [%s[\"has_more\"], %s[\"next_cursor\"]] = [false, null];"
                % (t.lower(), t, t)]
    for i, ((method, path), defaults) in enumerate(sorted(SERVER_DEFAULTS.items())):
        b = "B%d" % i
        out.append('type %s = NonNullable<paths[%s]["%s"]["requestBody"]>["content"]'
                   '["application/json"];' % (b, ts_path(path), method))
        for name in defaults:
            out.append('export const %s_%s_optional: Optional<%s, "%s"> = true;'
                       % (b.lower(), name, b, name))
    error = '{ code: "quota_exceeded", message: "m", request_id: "req_1" }'
    for i, (method, path, op) in enumerate(operations()):
        if "402" not in op["responses"]:
            continue
        q = "Q%d" % i
        out += ['type %s = paths[%s]["%s"]["responses"][402]["content"]["application/json"];'
                % (q, ts_path(path), method.lower()),
                "export const %s_body: %s = { error: %s, metric: \"seats\", limit: 5, used: 5 };"
                % (q.lower(), q, error),
                "// @ts-expect-error: the top-level quota members are required",
                "export const %s_bare: %s = { error: %s };" % (q.lower(), q, error)]
    return "\n".join(out) + "\n"


def test_openapi_typescript_generates_types_without_warnings_that_type_check():
    node_tools()
    with tempfile.TemporaryDirectory() as tmp:
        checks = os.path.join(tmp, "checks.in.ts")
        with open(checks, "w", encoding="utf-8") as f:
            f.write(type_checks())
        r = subprocess.run(["node", TYPES_SCRIPT, SPEC_PATH, checks, tmp],
                           env=dict(os.environ, NODE_DIR=NODE_DIR), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        assert r.returncode == 0, r.stderr.decode("utf-8", "replace")[-3000:]
        res = json.loads(r.stdout)
        with open(os.path.join(tmp, "api.d.ts"), encoding="utf-8") as f:
            types = f.read()
    v = res["validation"]
    assert v["valid"] and not v["errors"], "not valid OpenAPI 3.1 (@readme/openapi-parser):\n" + \
        "\n".join(v["errors"])[:4000]
    assert not v["warnings"], v["warnings"]
    assert res["bytes"] > 10000 and not res["warnings"], "\n".join(res["warnings"])
    assert "unknown[]" not in types, "an array of unknown items in the generated types"
    assert not res["diagnostics"], "\n".join(res["diagnostics"])
