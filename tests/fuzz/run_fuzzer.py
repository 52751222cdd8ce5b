#!/usr/bin/env python3
"""run_fuzzer.py TARGET CORPUS SECONDS: runs a libFuzzer target for a
while, starting from the saved corpus (read-only) plus a scratch folder
for what it finds.  A crash fails the test and leaves the input that
caused it in the build folder; copy it into the corpus once fixed, so the
replay tests keep it."""
import os
import subprocess
import sys
import tempfile

target, corpus, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
scratch = tempfile.mkdtemp(prefix="mlist-fuzz-corpus-")
artifacts = os.path.join(os.getcwd(), "fuzz-artifacts", os.path.basename(target)) + "-"
os.makedirs(os.path.dirname(artifacts), exist_ok=True)
proc = subprocess.run([target, scratch, corpus, f"-max_total_time={seconds}", "-max_len=16384",
                       "-timeout=10", "-rss_limit_mb=2048", f"-artifact_prefix={artifacts}"],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
print(proc.stdout[-5000:])
sys.exit(proc.returncode)
