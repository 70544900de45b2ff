"""test_auth_properties.py: property tests of authentication with a seeded
generator. The seed comes from E2E_SEED (to replay a failure) or is drawn at
random; it is printed when each property starts and repeated in any failure
message. One server (BCRYPT_WORK_FACTOR=4) serves both properties.

1. Any valid email and valid password register and log in with exactly that
   password (and the email in any ASCII case, with surrounding spaces), and
   with no other: one character changed, appended or removed, or the password
   cut to its first 72 bytes, is 401 invalid_credentials.
2. Arbitrary JSON bodies (nested values, unicode, huge numbers, nulls, wrong
   types, extra fields, non-objects, broken JSON) sent to every POST route of
   /auth, with and without a valid session, get the route's success code or a
   4xx in the error envelope, never a 5xx; the server stays healthy."""
import json
import os
import random
import string

from harness import Shared

# the per-tenant request limit (1000/min by default) is not under test here, nor is
# the login throttle's ceiling of 100 failures per client IP: with 127.0.0.1 a trusted
# proxy, a test names its client in X-Forwarded-For
SHARED = Shared(env={"RATE_LIMIT_PER_MINUTE": "100000000", "TRUSTED_PROXIES": "127.0.0.1"})
CASES = int(os.environ.get("E2E_PROPERTY_CASES", "120"))


def teardown_module():
    SHARED.stop()


def seeded(name):
    env = os.environ.get("E2E_SEED")
    seed = int(env) if env else random.SystemRandom().randrange(1, 2 ** 31)
    print("  %s: seed %d (replay with E2E_SEED=%d)" % (name, seed, seed), flush=True)
    return seed, random.Random(seed)


class PropertyFailure(AssertionError):
    pass


def fail(name, seed, case, what):
    raise PropertyFailure("%s failed (seed %d, replay with E2E_SEED=%d), case %d: %s"
                          % (name, seed, seed, case, what))


# --- generators ----------------------------------------------------------------

ATOM = string.ascii_letters + string.digits + "_-"
ATOM_RARE = "!#$%&'*/=?^`{|}~"
TLDS = ("com", "io", "org", "dev", "co.uk", "example", "xn--p1ai", "museum")
UNICODE_LABELS = ("bücher", "münchen", "例え", "пример", "ελληνικά")
# letters from several scripts (plus an emoji, which the policy counts as a letter)
UNICODE_CHARS = "éèàçñßøåœæÆÉΩλπЖжЯфك语語日本한글ğış" + "😀🔑"
PW_POOL = string.ascii_letters + string.digits + string.punctuation + " " * 6 + UNICODE_CHARS


def gen_email(rng):
    atoms = []
    for _ in range(rng.randint(1, 3)):
        chars = ATOM + (ATOM_RARE if rng.random() < 0.2 else "")
        atoms.append("".join(rng.choice(chars) for _ in range(rng.randint(1, 12))))
    local = ".".join(atoms)
    if rng.random() < 0.4:
        local += "+" + "".join(rng.choice(string.ascii_lowercase + string.digits)
                               for _ in range(rng.randint(1, 8)))
    local = local[:64].rstrip(".")
    labels = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.08:
            labels.append(rng.choice(UNICODE_LABELS))
            continue
        n = rng.randint(1, 20)
        label = "".join(rng.choice(string.ascii_lowercase + string.digits + "-") for _ in range(n))
        label = "x" + label.strip("-") + "y" if "-" in (label[0], label[-1]) else label
        labels.append(label)
    email = "%s@%s.%s" % (local, ".".join(labels), rng.choice(TLDS))
    return random_case(rng, email)


def random_case(rng, s):
    return "".join((c.upper() if rng.random() < 0.5 else c.lower()) if c.isascii() else c
                   for c in s)


def gen_password(rng):
    """A password the policy accepts: 8..128 characters, a letter and a digit."""
    n = rng.choice((8, 9, 71, 72, 73, 127, 128)) if rng.random() < 0.25 else rng.randint(8, 128)
    pool = PW_POOL if rng.random() < 0.7 else string.ascii_letters + string.digits
    chars = [rng.choice(pool) for _ in range(n)]
    i, j = rng.sample(range(n), 2)
    chars[i] = rng.choice(string.digits)
    chars[j] = rng.choice(string.ascii_letters + UNICODE_CHARS)
    return "".join(chars)


def cut_utf8(s, nbytes):
    """The longest prefix of s that fits in nbytes of UTF-8."""
    out, used = [], 0
    for c in s:
        k = len(c.encode())
        if used + k > nbytes:
            break
        out.append(c)
        used += k
    return "".join(out)


def mutate(rng, pw):
    """A different password close to pw; returns (how, new)."""
    while True:
        if len(pw.encode()) > 72 and rng.random() < 0.35:
            how, new = "cut to 72 bytes", cut_utf8(pw, 72)
        else:
            how = rng.choice(("changed", "appended", "removed", "case"))
            i = rng.randrange(len(pw))
            if how == "changed":
                new = pw[:i] + rng.choice(PW_POOL) + pw[i + 1:]
            elif how == "appended":
                new = pw + rng.choice(PW_POOL) if rng.random() < 0.5 else rng.choice(PW_POOL) + pw
            elif how == "removed":
                new = pw[:i] + pw[i + 1:]
            else:
                new = pw[:i] + pw[i].swapcase() + pw[i + 1:]
        if new != pw:
            return how, new


def gen_string(rng):
    r = rng.random()
    if r < 0.2:
        return ""
    if r < 0.35:
        return "".join(chr(rng.randrange(0, 0x20)) for _ in range(rng.randint(1, 5)))  # controls
    if r < 0.40:
        return "\ud800" if rng.random() < 0.5 else "a\udfffb"  # lone surrogates
    if r < 0.55:
        return rng.choice(string.ascii_letters) * rng.randint(200, 6000)
    if r < 0.75:
        return "".join(chr(rng.choice((rng.randrange(0x20, 0x7f), rng.randrange(0xa0, 0xd7ff),
                                       rng.randrange(0x10000, 0x10ffff))))
                       for _ in range(rng.randint(1, 40)))
    return "".join(rng.choice(string.printable) for _ in range(rng.randint(1, 30)))


def gen_scalar(rng):
    r = rng.random()
    if r < 0.05:  # beyond int64: jansson refuses the whole body (invalid_json)
        return rng.choice((10 ** 30, -(10 ** 40), 2 ** 64))
    return rng.choice((
        lambda: None, lambda: True, lambda: False,
        lambda: rng.randint(-2 ** 63, 2 ** 63 - 1),
        lambda: rng.choice((0, -1, 1, 2 ** 31, -(2 ** 63))),
        lambda: rng.uniform(-1e308, 1e308),
        lambda: rng.choice((1e-320, 5e-324, 1.5)),
        lambda: gen_string(rng), lambda: gen_string(rng),
    ))()


def gen_value(rng, depth=0):
    r = rng.random()
    if depth > 6 or r < 0.55:
        return gen_scalar(rng)
    if r < 0.75:
        return [gen_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return {gen_key(rng): gen_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def gen_key(rng):
    return rng.choice(("email", "password", "token", "name", "id", "", "__proto__", "EMAIL",
                       "password ", "é", "a" * 300, gen_string(rng)[:80]))


def deep(rng):
    d = rng.randint(20, 60)
    v = gen_scalar(rng)
    for _ in range(d):
        v = [v] if rng.random() < 0.5 else {"k": v}
    return v


def plausible(rng, field, ctx):
    """A value that is (usually) valid for a known field."""
    if field == "email":
        return rng.choice(ctx["emails"]) if rng.random() < 0.6 else gen_email(rng)
    if field == "password":
        return ctx["password"] if rng.random() < 0.5 else gen_password(rng)
    if field == "token":
        return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(43))
    if field == "name":
        return "Name %d" % rng.randrange(1000)
    return gen_scalar(rng)


def gen_body(rng, fields, ctx):
    """Returns (kind, raw bytes or None, json value or None)."""
    r = rng.random()
    if r < 0.08:
        return "empty object", None, {}
    if r < 0.20:
        v = rng.choice((lambda: [gen_value(rng) for _ in range(3)], lambda: gen_string(rng),
                        lambda: rng.randint(-5, 5), lambda: None, lambda: True,
                        lambda: 1e300, lambda: "email"))()
        return "non-object", None, v
    if r < 0.28:
        raw = rng.choice((b"{", b"{\"email\":}", b"nul", b"{\"a\":1,\"a\":2}", b"[1,2",
                          b"{\"email\": \"x\" \"password\": 1}", b"\xff\xfe{}", b"{}{}",
                          b"{\"n\": 1e99999}", b"{\"n\": 123456789012345678901234567890}",
                          b"{\"s\": \"\\u0000\"}", b"{\"s\": \"\\ud800\"}", b"\x00", b" "))
        return "broken json", raw, None
    if r < 0.33:
        return "deep", None, deep(rng)
    body = {}
    for f in fields:
        p = rng.random()
        if p < 0.15:
            continue  # missing
        body[f] = plausible(rng, f, ctx) if p < 0.6 else gen_value(rng)
    if rng.random() < 0.25:
        for _ in range(rng.randint(1, 3)):
            body[gen_key(rng)] = gen_value(rng)
    return "object", None, body


# --- checks -------------------------------------------------------------------------

def envelope_problem(r):
    """None when r is a well-formed error envelope, else what is wrong."""
    if not (r.header("Content-Type") or "").startswith("application/json"):
        return "content type %r" % r.header("Content-Type")
    if not isinstance(r.json, dict) or set(r.json) != {"error"}:
        return "not an error envelope"
    e = r.json["error"]
    if not isinstance(e, dict) or not isinstance(e.get("code"), str) or not e["code"]:
        return "no error code"
    if not isinstance(e.get("message"), str) or not e["message"]:
        return "no message"
    if e.get("request_id") != r.header("X-Request-Id"):
        return "request_id differs from X-Request-Id"
    f = e.get("fields")
    if f is not None and not (isinstance(f, dict) and f
                              and all(isinstance(v, str) for v in f.values())):
        return "malformed fields"
    return None


# --- property 1 ------------------------------------------------------------------------

def test_any_valid_email_and_password_log_in_with_exactly_that_password():
    name = "property 1 (register/login round trip)"
    seed, rng = seeded(name)
    srv = SHARED.get()
    _, key = srv.create_tenant("Property 1")
    seen = set()
    for case in range(CASES):
        email = gen_email(rng)
        while email.lower() in seen:
            email = gen_email(rng)
        seen.add(email.lower())
        password = gen_password(rng)
        sent = (" " * rng.randint(0, 2)) + email + (" " * rng.randint(0, 2))
        what = "email %r password %r" % (sent, password)
        r = srv.request("POST", "/auth/register", {"email": sent, "password": password}, key=key)
        if r.status != 201:
            fail(name, seed, case, "register %s: %r" % (what, r))
        if r.json["user"]["email"] != email:
            fail(name, seed, case, "register %s returned email %r" % (what, r.json["user"]["email"]))
        uid = r.json["user"]["id"]
        variant = " " + random_case(rng, email)
        client = {"X-Forwarded-For": "198.18.%d.%d" % (case // 250, case % 250 + 1)}
        r = srv.request("POST", "/auth/login", {"email": variant, "password": password}, key=key,
                        headers=client)
        if r.status != 200 or r.json["user"]["id"] != uid:
            fail(name, seed, case, "login as %r with %s: %r" % (variant, what, r))
        how, other = mutate(rng, password)
        r = srv.request("POST", "/auth/login", {"email": email, "password": other}, key=key,
                        headers=client)
        if r.status != 401 or envelope_problem(r) or r.json["error"]["code"] != "invalid_credentials":
            fail(name, seed, case, "login with the password %s (%r) instead of %s: %r"
                 % (how, other, what, r))


# --- property 2 ------------------------------------------------------------------------

ROUTES = (
    ("/auth/register", ("email", "password", "name"), 201),
    ("/auth/login", ("email", "password"), 200),
    ("/auth/logout", (), 204),
    ("/auth/password-reset/request", ("email",), 202),
    ("/auth/password-reset/complete", ("token", "password"), 200),
    ("/auth/verify-email/request", (), 202),
    ("/auth/verify-email/complete", ("token",), 200),
)


def test_arbitrary_json_to_every_auth_route_is_4xx_in_the_envelope_never_5xx():
    name = "property 2 (arbitrary bodies to auth routes)"
    seed, rng = seeded(name)
    srv = SHARED.get()
    _, key = srv.create_tenant("Property 2")
    owner = {"email": "owner.%d@example.com" % seed, "password": "owner pass 1", "token": None}
    r = srv.request("POST", "/auth/register", {"email": owner["email"],
                                              "password": owner["password"]}, key=key)
    assert r.status == 201, r
    owner["token"] = r.json["session"]["token"]
    ctx = {"emails": [], "password": "pool pass 1"}
    for i in range(5):
        e = "pool%d.%d@example.com" % (i, seed)
        r = srv.request("POST", "/auth/register", {"email": e, "password": ctx["password"]},
                        key=key)
        assert r.status == 201, r
        ctx["emails"].append(e)

    def live_session():
        if owner["token"] is None:
            # from a client IP of its own: the bodies below fail logins from 127.0.0.1
            r = srv.request("POST", "/auth/login", {"email": owner["email"],
                                                    "password": owner["password"]}, key=key,
                            headers={"X-Forwarded-For": "192.0.2.1"})
            assert r.status == 200, "re-login of the session owner: %r" % r
            owner["token"] = r.json["session"]["token"]
        return owner["token"]

    for path, fields, success in ROUTES:
        for case in range(CASES):
            kind, raw, value = gen_body(rng, fields, ctx)
            with_session = rng.random() < 0.5
            token = live_session() if with_session else None
            content_type = "application/json" if rng.random() < 0.97 else "text/plain"
            if raw is None:
                raw = json.dumps(value).encode("utf-8", "surrogatepass")
            r = srv.request("POST", path, key=key, session=token, raw=raw,
                            content_type=content_type)
            what = "POST %s %s (%s, %s session, %s): %r -> %r" % (
                path, kind, content_type, "with" if with_session else "without",
                "%d bytes" % len(raw), raw[:300], r)
            if r.status >= 500:
                fail(name, seed, case, "5xx: " + what)
            if r.status == success:
                if success == 204 and r.raw != "":
                    fail(name, seed, case, "204 with a body: " + what)
                if success != 204 and not isinstance(r.json, dict):
                    fail(name, seed, case, "success without a JSON object: " + what)
                if path == "/auth/logout" and with_session:
                    owner["token"] = None  # that session is over
            elif not 400 <= r.status < 500:
                fail(name, seed, case, "neither %d nor 4xx: %s" % (success, what))
            else:
                problem = envelope_problem(r)
                if problem:
                    fail(name, seed, case, "%s: %s" % (problem, what))
            if case % 40 == 39:
                h = srv.request("GET", "/health")
                if h.status != 200 or srv.proc.poll() is not None:
                    fail(name, seed, case, "server unhealthy after " + what)
    # still healthy, and the session owner can still use the API
    assert srv.request("GET", "/health").status == 200
    r = srv.request("GET", "/auth/session", key=key, session=live_session())
    assert r.status == 200, r
