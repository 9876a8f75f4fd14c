"""`make bench`: every benchmark in bench/, one after the other, each in its own process.

Each script records its figures in docs/performance.md (pass --no-record to only print).
Extra arguments are passed to every script, e.g. `--database-url postgres://...`.
pages.py (dashboards and list pages at national scale, bench/results.json) uses the
PostgreSQL databases in BENCH_DATABASES instead; see its docstring.
"""

import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
SCRIPTS = ["import_partners.py", "import_members.py", "certificates.py", "pages.py"]


def main() -> int:
    failures = []
    for script in SCRIPTS:
        print(f"\n=== {script} ===", flush=True)
        result = subprocess.run([sys.executable, str(BENCH_DIR / script), *sys.argv[1:]])
        if result.returncode:
            failures.append(script)
    if failures:
        print(f"\nfailed: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
