"""test_readme_walkthrough.py: README.md's walkthrough works pasted as it is.
Every ```sh block between the "<!-- walkthrough:" marker and the next
heading is run, as written and in order, in one bash (set -euo pipefail) in
a fresh directory whose build/saasd is the binary under test; PORT is the
only setting given (a free port: the walkthrough reads ${PORT:-8787}), and
DATABASE_URL on the PostgreSQL pass. The only thing added is a curl wrapper
with --fail-with-body, so an HTTP error answer fails the run like a failed
command. The text is not edited: a walkthrough that needs editing to run is
a broken walkthrough."""
import os
import re
import shutil
import signal
import subprocess
import tempfile

from harness import BACKEND, BIN, ROOT, SANITIZER_MARKERS, create_pg_database, free_port

MARKER = "<!-- walkthrough:"
# the environment the walkthrough must not depend on: every setting saasd reads
SETTINGS = ("DATABASE_URL", "HOST", "PORT", "JWT_SECRET", "EMAIL_PROVIDER", "EMAIL_FROM",
            "SMTP_URL", "RESEND_API_KEY", "RESEND_API_URL", "BCRYPT_WORK_FACTOR",
            "SESSION_EXPIRATION", "RATE_LIMIT_PER_MINUTE", "MAX_TENANT_RATE_LIMIT", "REDIS_URL",
            "ADMIN_TOKEN", "METRICS_TOKEN", "ENVIRONMENT", "THREADS", "SHUTDOWN_TIMEOUT",
            "WEBHOOK_ALLOW_PRIVATE", "TRUSTED_PROXIES", "ENV_FILE")
PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body "$@"; }
"""


def walkthrough_blocks():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    assert text.count(MARKER) == 1, "README.md needs exactly one %r marker" % MARKER
    section = text.split(MARKER, 1)[1]
    section = re.split(r"^#{1,6} ", section, maxsplit=1, flags=re.M)[0]
    return re.findall(r"^```sh\n(.*?)^```$", section, flags=re.M | re.S)


def test_the_marker_covers_the_whole_walkthrough():
    blocks = walkthrough_blocks()
    script = "\n".join(blocks)
    assert len(blocks) >= 5, blocks
    # what the walkthrough is for: a started server, the key, a session token
    # that is set before it is used, the operator's routes and the CLI, a stop
    for needle in ("build/saasd serve", "KEY=", "TOKEN=$(", "$TOKEN", "$ADMIN_TOKEN",
                   "build/saasd tenant create", "kill %1"):
        assert needle in script, needle
    assert script.index("TOKEN=$(") < script.index("$TOKEN"), script
    assert "make run" not in script, "make run never returns: the next command cannot run"


def test_the_readme_walkthrough_runs_as_written():
    if BACKEND == "postgres" and os.environ.get("SAASD_PG_PORT") is None:
        raise AssertionError("postgres backend without SAASD_PG_PORT")
    blocks = walkthrough_blocks()
    tmp = tempfile.mkdtemp(prefix="saasd-e2e-readme-")
    os.makedirs(os.path.join(tmp, "build"))
    os.symlink(BIN, os.path.join(tmp, "build", "saasd"))
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["PORT"] = str(free_port())
    if BACKEND == "postgres":
        env["DATABASE_URL"] = create_pg_database()
    script = PRELUDE + "\n".join(blocks)
    with open(os.path.join(tmp, "walkthrough.sh"), "w") as f:
        f.write(script)
    # its own process group, so whatever it leaves running is stopped below
    proc = subprocess.Popen(["bash", "walkthrough.sh"], cwd=tmp, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError("the walkthrough did not finish in 120 s:\n" + logs(tmp, out))
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # a saasd left behind by a failed run
        except ProcessLookupError:
            pass
    text = out.decode("utf-8", "replace")
    try:
        assert proc.returncode == 0, "walkthrough failed (%d):\n%s" % (
            proc.returncode, logs(tmp, out))
        # what the commands printed is what the README says they print
        assert '"name":"default"' in text.replace(" ", ""), text
        assert '"email":"ada@example.com"' in text.replace(" ", ""), text
        assert '"name":"Acme"' in text.replace(" ", "") and "Globex" in text, text
        assert text.count("sk_live_") >= 3, text  # Acme's, Globex's and the ci key
        server_log = logs(tmp, b"")
        for marker in SANITIZER_MARKERS:
            assert marker not in server_log, server_log[-6000:]
        assert '"msg":"stopped"' in server_log.replace(" ", ""), server_log[-3000:]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def logs(tmp, out):
    parts = [out.decode("utf-8", "replace")]
    for name in ("saasd.out", "saasd.log"):
        path = os.path.join(tmp, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                parts.append("--- %s\n%s" % (name, f.read().decode("utf-8", "replace")[-4000:]))
    return "\n".join(parts)
