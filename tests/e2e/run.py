"""run.py: run every test_* function of tests/e2e/test_*.py (or the modules
named on the command line) and report. Tests run in the order they are
defined in their module. A module may define teardown_module() (e.g. to stop
a server its tests shared, asserting a clean exit); it runs after the
module's tests and its failure counts as a failure. A test that raises
harness.Skip (unittest.SkipTest) is reported as skipped. A failing test
prints its traceback and the run exits 1.

Environment: E2E_ONLY=substring runs only the tests whose
"module.function" name contains it."""
import importlib.util
import inspect
import os
import sys
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def module_tests(mod):
    """test_* functions defined in mod, in source order."""
    tests = [(n, f) for n, f in vars(mod).items()
             if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == mod.__name__]
    return sorted(tests, key=lambda t: t[1].__code__.co_firstlineno)


def main(argv):
    backend = os.environ.get("SAASD_TEST_BACKEND", "sqlite")
    files = argv or sorted(os.path.join(HERE, f) for f in os.listdir(HERE)
                           if f.startswith("test_") and f.endswith(".py"))
    only = os.environ.get("E2E_ONLY")  # substring filter on test names
    failed, passed, skipped = [], 0, 0
    t_all = time.time()
    for path in files:
        mod = load(path)
        ran = False
        for name, fn in module_tests(mod):
            full = "%s.%s" % (mod.__name__, name)
            if only and only not in full:
                continue
            ran = True
            t0 = time.time()
            try:
                fn()
                passed += 1
                print("ok   [%s] %s (%.2fs)" % (backend, full, time.time() - t0), flush=True)
            except unittest.SkipTest as why:
                skipped += 1
                print("skip [%s] %s: %s" % (backend, full, why), flush=True)
            except Exception:  # noqa: BLE001 - report every failure
                failed.append(full)
                print("FAIL [%s] %s" % (backend, full), flush=True)
                traceback.print_exc()
        teardown = getattr(mod, "teardown_module", None)
        if ran and teardown is not None:
            full = "%s.teardown_module" % mod.__name__
            try:
                teardown()
            except Exception:  # noqa: BLE001
                failed.append(full)
                print("FAIL [%s] %s" % (backend, full), flush=True)
                traceback.print_exc()
    print("e2e [%s]: %d passed, %d failed, %d skipped (%.1fs)"
          % (backend, passed, len(failed), skipped, time.time() - t_all))
    for f in failed:
        print("  failed: " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
