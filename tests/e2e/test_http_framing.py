"""test_http_framing.py: request framing RFC 9112 makes a server refuse
(issue 10 item 6), over a raw socket. Content-Length beside
Transfer-Encoding, a repeated Content-Length, a transfer coding other than
one "chunked", Transfer-Encoding in HTTP/1.0, and an HTTP/1.1 request
without exactly one Host: each gets one 400 validation_failed in the error
envelope with Connection: close, then the connection ends. A request
smuggled after the body (libmicrohttpd 0.9.75 used to run the bytes after a
chunked terminator, or after the first of two Content-Lengths, as a second
request) is never executed: no tenant it would create exists. Sound
requests (chunked, HTTP/1.0 without Host, pipelined) still work."""
import json
import socket

from harness import Shared, expect_error, parse_http_response

SHARED = Shared()


def teardown_module():
    SHARED.stop()


def exchange(port, data, timeout=5.0):
    """Send data, read until the server closes (or timeout); returns
    (bytes received, closed: the server ended the connection)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except OSError:
            pass
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                return out, True
            except socket.timeout:
                return out, False
            if not chunk:
                return out, True
            out += chunk
    finally:
        s.close()


def responses(data):
    """The responses in data, in order (Content-Length framed)."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, "truncated response: %r" % data[:300]
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        out.append(parse_http_response(head + sep + rest[:length]))
        data = rest[length:]
    return out


def smuggled_tenant(srv, name):
    """The request that would create a tenant called name, as bytes."""
    body = json.dumps({"name": name}).encode()
    return (b"POST /admin/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer " + srv.admin_token.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def tenant_names(srv):
    names, after = [], None
    while True:
        r = srv.admin("GET", "/admin/tenants?limit=100" + ("&after=" + after if after else ""))
        assert r.status == 200, r
        names += [t["name"] for t in r.json["data"]]
        if not r.json["has_more"]:
            return names
        after = r.json["next_cursor"]


def expect_refused_and_closed(srv, data, what):
    got, closed = exchange(srv.port, data)
    rs = responses(got)
    assert len(rs) == 1, "%s: expected one answer, got %r" % (what, rs)
    err = expect_error(rs[0], 400, "validation_failed")
    assert rs[0].header("Connection") == "close", (what, rs[0].headers)
    assert closed, "%s: the connection stayed open after the 400" % what
    return err


def head(srv, extra, method=b"POST", path=b"/admin/tenants", version=b"HTTP/1.1"):
    return (method + b" " + path + b" " + version + b"\r\n"
            b"Authorization: Bearer " + srv.admin_token.encode() + b"\r\n"
            b"Content-Type: application/json\r\n" + extra + b"\r\n")


def test_content_length_with_transfer_encoding_is_400_and_the_smuggled_request_never_runs():
    srv = SHARED.get()
    inner = smuggled_tenant(srv, "Smuggled CL-TE")
    # a front end that believes Content-Length forwards all of it as one
    # request; one that believes Transfer-Encoding sees two
    body = b"0\r\n\r\n" + inner
    for extra in (b"Host: 127.0.0.1\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n",
                  b"Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: %d\r\n"):
        err = expect_refused_and_closed(srv, head(srv, extra % len(body)) + body, "CL+TE")
        assert "Transfer-Encoding" in err["message"], err
    assert "Smuggled CL-TE" not in tenant_names(srv)


def test_conflicting_content_lengths_are_400_and_the_smuggled_request_never_runs():
    srv = SHARED.get()
    inner = smuggled_tenant(srv, "Smuggled CL-CL")
    extra = b"Host: 127.0.0.1\r\nContent-Length: 0\r\nContent-Length: %d\r\n" % len(inner)
    err = expect_refused_and_closed(srv, head(srv, extra) + inner, "CL, CL")
    assert "Content-Length" in err["message"], err
    # the same length twice is refused too (RFC 9112 allows either)
    body = json.dumps({"name": "Twice"}).encode()
    extra = b"Host: 127.0.0.1\r\nContent-Length: %d\r\nContent-Length: %d\r\n" % (len(body), len(body))
    expect_refused_and_closed(srv, head(srv, extra) + body, "identical CL twice")
    names = tenant_names(srv)
    assert "Smuggled CL-CL" not in names and "Twice" not in names, names


def test_transfer_codings_other_than_one_chunked_are_400():
    srv = SHARED.get()
    chunk = b"2\r\n{}\r\n0\r\n\r\n"
    for te in (b"gzip, chunked", b"chunked, identity", b"identity", b"xchunked"):
        extra = b"Host: 127.0.0.1\r\nTransfer-Encoding: " + te + b"\r\n"
        expect_refused_and_closed(srv, head(srv, extra) + chunk, te.decode())
    extra = b"Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
    expect_refused_and_closed(srv, head(srv, extra) + chunk, "TE twice")
    expect_refused_and_closed(srv, head(srv, b"Transfer-Encoding: chunked\r\n", version=b"HTTP/1.0")
                              + chunk, "TE in HTTP/1.0")


def test_http_1_1_without_host_or_with_two_is_400():
    srv = SHARED.get()
    err = expect_refused_and_closed(srv, b"GET /health HTTP/1.1\r\n\r\n", "no Host")
    assert "Host" in err["message"], err
    expect_refused_and_closed(srv, b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "two Hosts")
    # nothing pipelined after a refused request runs either
    inner = smuggled_tenant(srv, "Smuggled after no Host")
    expect_refused_and_closed(srv, b"GET /health HTTP/1.1\r\n\r\n" + inner, "no Host, pipelined")
    assert "Smuggled after no Host" not in tenant_names(srv)


def test_sound_framing_still_works_chunked_http_1_0_and_pipelined():
    srv = SHARED.get()
    body = json.dumps({"name": "Chunked Co"}).encode()
    chunked = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    got, _ = exchange(srv.port, head(srv, b"Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                                     b"Connection: close\r\n") + chunked)
    rs = responses(got)
    assert len(rs) == 1 and rs[0].status == 201, rs
    got, _ = exchange(srv.port, b"GET /health HTTP/1.0\r\n\r\n")
    rs = responses(got) if b"Content-Length" in got else [parse_http_response(got)]
    assert rs[0].status == 200, rs
    # two pipelined requests on a kept-alive connection: two answers
    got, _ = exchange(srv.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    rs = responses(got)
    assert [r.status for r in rs] == [200, 200], rs
    assert "Chunked Co" in tenant_names(srv)
