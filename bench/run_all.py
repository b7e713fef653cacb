"""`make bench`: run every `bench/bench_*.py` in turn, each in its own process, and print their figures.

Small sizes by default, so that the whole set takes minutes; `--full` runs the 100,000-listing figures
the issues ask for (each script alone also runs at full size: `python bench/bench_matching.py`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

# The arguments that make each benchmark small; scripts not listed take `--quick`.
QUICK_ARGS = {
    "bench_browse.py": ["--size", "10000", "--runs", "50"],
    "bench_outbox.py": ["200"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the full sizes (slow: many minutes)")
    args = parser.parse_args()
    failed = 0
    for script in sorted(Path(__file__).resolve().parent.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        extra = [] if args.full else QUICK_ARGS.get(script.name, ["--quick"])
        failed += subprocess.run([sys.executable, str(script), *extra], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
