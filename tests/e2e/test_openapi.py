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
import subprocess

import harness

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
    "key": [{"tenantKey": []}, {"tenantKey": [], "session": []}],
    "system": [{"tenantKey": []}],
    "session": [{"tenantKey": [], "session": []}],
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
        want.append({"publishableKey": [], "session": []})
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
    assert schemes["tenantKey"]["type"] == "http" and schemes["tenantKey"]["scheme"] == "bearer"
    assert schemes["session"] == {**schemes["session"], "type": "apiKey", "in": "header",
                                  "name": "X-Session-Token"}
    assert schemes["publishableKey"]["type"] == "http"
    assert schemes["publishableKey"]["scheme"] == "bearer"
    assert schemes["cookieSession"] == {**schemes["cookieSession"], "type": "apiKey",
                                        "in": "cookie", "name": "saasd_session"}
    assert schemes["adminToken"]["scheme"] == "bearer"
    assert schemes["metricsToken"]["scheme"] == "bearer"


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
            if code.startswith("2"):
                continue
            if "$ref" in resp:
                resp = resolve(resp["$ref"])
            schema = resp.get("content", {}).get("application/json", {}).get("schema", {})
            if code == "503" and path == "/health":
                continue  # the health document itself, not an error
            assert schema.get("$ref") == "#/components/schemas/Error", \
                "%s %s %s is not the error envelope" % (method, path, code)


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
    the audit action (null exactly on GET routes) and offload."""
    by = {(r["method"], r["path"]): r for r in routes()}
    for r in routes():
        assert set(r) == {"method", "path", "auth", "keys", "permission", "action",
                          "offload"}, r
        tenant_key = r["auth"] in ("key", "system", "session")
        if not tenant_key:
            assert r["keys"] == [], r
        elif r["auth"] == "system":
            assert r["keys"] == ["secret"], r
        else:
            assert r["keys"] in (["secret", "publishable"], ["secret", "publishable_session"]), r
        assert (r["action"] is None) == (r["method"] == "GET"), r
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
