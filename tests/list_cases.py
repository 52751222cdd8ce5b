#!/usr/bin/env python3
"""Prints the test case names of a test file, one per line, for meson.

C unit tests: the names in the file's `struct check_case` table, rows of
the form { "name", function }.  Python integration tests: the names of
top-level functions whose names start with test_.  meson registers one
test per name, so every case is run and reported on its own.
"""
import os
import re
import sys

path = sys.argv[1]
if os.path.isdir(path):
    # the golden tests: one case per NAME.eml
    names = sorted(f[:-4] for f in os.listdir(path) if f.endswith(".eml"))
    if not names:
        sys.exit(f"{path}: no .eml files")
    print("\n".join(names))
    sys.exit(0)
text = open(path, encoding="utf-8").read()
if path.endswith(".c"):
    names = re.findall(r'^\s*\{\s*"([A-Za-z0-9_]+)"\s*,\s*\w+\s*\},', text, re.M)
else:
    names = re.findall(r"^def (test_\w+)\(", text, re.M)
if not names:
    sys.exit(f"{path}: no test cases found")
print("\n".join(names))
