"""rediskit.py: a private redis-server for the e2e tests (test_multinode.py,
test_rate_limit.py): a free loopback port, no persistence, started and
SIGKILLed by its own pid, restartable on the same port; and a minimal RESP
client to look at the counters saasd keeps there. Not a test module itself."""
import os
import shutil
import socket
import subprocess
import tempfile

from harness import Skip, free_port, wait_for


def require_redis_server():
    if shutil.which("redis-server") is None:
        raise Skip("redis-server is not installed (scripts/deps.sh installs it)")


class Redis:
    """redis-server on a loopback port, no persistence; start() again after
    kill() reuses the port."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="saasd-redis-")
        self.log_path = os.path.join(self.dir, "redis.log")
        self.proc = None

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def start(self):
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", self.dir],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        finally:
            log.close()

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("redis-server exited (%s):\n%s" % (
                    self.proc.returncode, open(self.log_path).read()[-3000:]))
            try:
                return self.command("PING") == "PONG"
            except OSError:
                return False
        wait_for(up, timeout=10, interval=0.02, what="redis-server to answer PING")
        return self

    def kill(self):
        """SIGKILL our redis-server (by its pid) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def remove(self):
        """kill() and delete the working directory."""
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def command(self, *args):
        """One command over RESP; returns str, int, None or a list."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            out = b"*%d\r\n" % len(args)
            for a in args:
                a = a.encode() if isinstance(a, str) else a
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(out)
            return _resp(s.makefile("rb"))
        finally:
            s.close()


def _resp(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise OSError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise AssertionError("redis error: " + rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode()
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_resp(f) for _ in range(n)]
    raise AssertionError("bad RESP line %r" % line)


def rate_limit_count(redis, tenant_id):
    """Calls of tenant_id counted in Redis by saasd, over its live windows."""
    keys = redis.command("KEYS", "saasd:rl:%s:*" % tenant_id)
    return sum(int(redis.command("GET", k) or 0) for k in keys)

