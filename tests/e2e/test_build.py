"""test_build.py: the Makefile's own promises, asked of make itself without
building or touching anything (make -n, and -W to pretend a file changed):
a test or fuzz binary is rebuilt when a test kit header it includes changes
(its .d file is included, not only those of $(BUILD)/obj), and `format` and
`format-check` cover the same files (src/, tests/unit, tests/store,
tests/fuzz), the check only with --dry-run --Werror."""
import os
import re
import shutil
import subprocess

from harness import BACKEND, BIN, ROOT, Skip


def make(*args):
    r = subprocess.run(["make", "-n", "--no-print-directory"] + list(args), cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, (args, r.stderr.decode())
    return r.stdout.decode()


def build_dir():
    """BIN's build directory (build, build/asan), relative to the repository."""
    build = os.path.dirname(BIN)
    if os.path.relpath(build, ROOT).startswith("..") or shutil.which("make") is None:
        raise Skip("the binary under test was not built by this checkout's Makefile")
    if not os.path.isdir(os.path.join(build, "tests")):
        raise Skip("no test binaries in %s (make unit)" % build)
    if BACKEND != "sqlite":
        raise Skip("no database involved: once per run is enough")
    return os.path.relpath(build, ROOT)


def rebuilt_by(build, header=None):
    """Test binaries `make unit` would rebuild if header changed, whatever
    the state of libsaasd.a (-o: nothing is remade on its account)."""
    args = ["BUILD=" + build, "-o", build + "/libsaasd.a", "unit"]
    if header is not None:
        args = ["-W", header] + args
    return set(re.findall(r"-o (\S+/tests/\w+) ", make(*args)))


def expect_rebuilt(build, header, expected):
    # a test whose own source is newer than its binary is rebuilt anyway:
    # those are not counted against the header (after `make unit`, none are)
    stale = rebuilt_by(build)
    got = rebuilt_by(build, header)
    assert expected <= got, ("not rebuilt when %s changes" % header, expected - got)
    assert got - expected <= stale, ("rebuilt though %s is not theirs" % header,
                                     got - expected - stale)


def test_touching_a_test_kit_header_rebuilds_the_tests_that_include_it():
    build = build_dir()
    # seeded.h is included by a few unit tests only, and is no prerequisite
    # written in the Makefile: only their .d files know
    users = sorted(f[:-2] for f in os.listdir(os.path.join(ROOT, "tests", "unit"))
                   if f.startswith("test_") and f.endswith(".c") and
                   '#include "seeded.h"' in open(os.path.join(ROOT, "tests", "unit", f)).read())
    assert users, "no unit test includes seeded.h any more: pick another header"
    if not all(os.path.exists(os.path.join(ROOT, build, "tests", u + ".d")) for u in users):
        raise Skip("%s/tests has no .d files yet (built before they were written)" % build)
    expect_rebuilt(build, "tests/unit/seeded.h", {"%s/tests/%s" % (build, u) for u in users})
    # check.h is in every unit test and the store test
    every = {"%s/tests/%s" % (build, f[:-2])
             for f in os.listdir(os.path.join(ROOT, "tests", "unit"))
             if f.startswith("test_") and f.endswith(".c")}
    expect_rebuilt(build, "tests/unit/check.h", every | {"%s/tests/store_test" % build})


def test_dependency_files_of_tests_and_fuzzers_are_written_and_included():
    build = build_dir()
    out = make("BUILD=" + build, "-B", "%s/tests/test_config" % build,
               "%s/tests/store_test" % build)
    compiles = [l for l in out.splitlines() if "-o %s/tests/" % build in l]
    assert len(compiles) == 2 and all("-MMD -MP" in l for l in compiles), compiles
    out = make("BUILD=build/fuzz", "CC=clang", "SAN=1", "FUZZ=1", "-B",
               "build/fuzz/fuzz/fuzz_email")
    line = [l for l in out.splitlines() if "-o build/fuzz/fuzz/fuzz_email " in l]
    assert line and "-MMD -MP" in line[0], out[-2000:]
    # CFLAGS given on the command line keep them
    out = make("BUILD=" + build, "CFLAGS=-O0", "-B", "%s/tests/test_config" % build)
    assert "-MMD -MP" in [l for l in out.splitlines() if "-o %s/tests/" % build in l][0], out
    with open(os.path.join(ROOT, "Makefile")) as f:
        include = [l for l in f if l.startswith("-include")]
    assert len(include) == 1 and all(d in include[0] for d in
                                     ("$(BUILD)/obj", "$(BUILD)/tests", "$(BUILD)/fuzz")), include


def test_format_and_format_check_cover_src_and_the_c_tests():
    build_dir()
    fmt = make("format").split()
    check = make("format-check").split()
    assert fmt[:2] == ["clang-format", "-i"], fmt[:3]
    assert check[:3] == ["clang-format", "--dry-run", "--Werror"], check[:4]
    files = set(fmt[2:])
    assert files == set(check[3:]), set(fmt[2:]) ^ set(check[3:])
    for f in ("src/main.c", "src/core/config.h", "tests/unit/check.h", "tests/unit/test_config.c",
              "tests/store/store_test.c", "tests/fuzz/fuzz_email.c"):
        assert f in files, f
    assert not any(f.startswith("tests/fuzz/corpus/") or f.startswith("tests/e2e/")
                   for f in files), sorted(files)


def copy_src(tmp):
    shutil.copytree(os.path.join(ROOT, "src"), os.path.join(tmp, "src"))
    return os.path.join(tmp, "src")


def layers(root):
    return subprocess.run([os.path.join(ROOT, "scripts", "check-layers.sh"), root],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)


def test_layers_check_passes_here_is_run_by_make_test_and_refuses_upward_includes():
    import tempfile
    build_dir()
    r = layers(ROOT)
    assert r.returncode == 0, r.stdout.decode()
    assert "scripts/check-layers.sh" in make("-o", "deps", "-o", "all", "-o", "unit", "layers")
    with open(os.path.join(ROOT, "Makefile")) as f:
        test_rule = f.read().split("\ntest: ")[1].split("\n\n")[0]
    assert "$(MAKE) layers" in test_rule, test_rule
    # the table back inside http/ (as before issue 11): http/ includes api/
    with tempfile.TemporaryDirectory() as tmp:
        src = copy_src(tmp)
        with open(os.path.join(src, "http", "table.c"), "w") as f:
            f.write('#include "../api/api.h"\n')
        r = layers(tmp)
        assert r.returncode == 1 and b"http/ includes api/" in r.stdout, r.stdout
    # peers: store/ and net/ may not include each other
    with tempfile.TemporaryDirectory() as tmp:
        src = copy_src(tmp)
        with open(os.path.join(src, "store", "x.c"), "w") as f:
            f.write('#include "../net/mailer.h"\n')
        r = layers(tmp)
        assert r.returncode == 1 and b"peers" in r.stdout, r.stdout
