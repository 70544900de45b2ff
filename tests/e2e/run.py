"""run.py: run every test_* function of tests/e2e/test_*.py (or the modules
named on the command line) and report. Each module gets its own saasd via
its tests; a failing test prints its traceback and the run exits 1."""
import importlib.util
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv):
    backend = os.environ.get("SAASD_TEST_BACKEND", "sqlite")
    files = argv or sorted(os.path.join(HERE, f) for f in os.listdir(HERE)
                           if f.startswith("test_") and f.endswith(".py"))
    only = os.environ.get("E2E_ONLY")  # substring filter on test names
    failed, passed = [], 0
    for path in files:
        mod = load(path)
        tests = [(n, getattr(mod, n)) for n in sorted(dir(mod)) if n.startswith("test_")]
        for name, fn in tests:
            full = "%s.%s" % (mod.__name__, name)
            if only and only not in full:
                continue
            t0 = time.time()
            try:
                fn()
                passed += 1
                print("ok   [%s] %s (%.2fs)" % (backend, full, time.time() - t0), flush=True)
            except Exception:  # noqa: BLE001 - report every failure
                failed.append(full)
                print("FAIL [%s] %s" % (backend, full), flush=True)
                traceback.print_exc()
    print("e2e [%s]: %d passed, %d failed" % (backend, passed, len(failed)))
    for f in failed:
        print("  failed: " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
