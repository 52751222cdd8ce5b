#!/usr/bin/env python3
"""Runs one test case of an integration test file: run.py FILE CASE [ARG...]
(the arguments go to the case: the golden tests' case is one function
run for each file of tests/golden).

meson registers every case on its own (see tests/list_cases.py).  A case
passes by returning, fails by raising; it is skipped (exit 77, which
meson reports as SKIP) by raising harness.Skip.
"""
import importlib.util
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

path, case, args = sys.argv[1], sys.argv[2], sys.argv[3:]
spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
try:
    getattr(module, case)(*args)
except harness.Skip as why:
    print(f"skipped: {why}")
    sys.exit(77)
except Exception:
    traceback.print_exc()
    sys.exit(1)
finally:
    harness.cleanup()
print(f"ok {case} {' '.join(args)}".rstrip())
