"""Run every benchmark script under bench/ and write one markdown summary of their tables.

    python bench/run_all.py [--quick] [--device cuda] [--only NAME ...]

The summary goes to bench/results/summary.md (and stdout). Each script prints its own tables of ratios
measured side by side in one run; this runner only collects them, with the date and the machine.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import time
from pathlib import Path

from common import machine

HERE = Path(__file__).resolve().parent
SKIP = {"common.py", "run_all.py"}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--device", default="cpu")
    p.add_argument("--only", nargs="*", help="script names without .py")
    p.add_argument("--timeout", type=float, default=1800)
    args = p.parse_args()
    scripts = sorted(s for s in HERE.glob("*.py") if s.name not in SKIP)
    if args.only:
        scripts = [s for s in scripts if s.stem in args.only]
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"# Benchmarks, {stamp}", "", f"Machine: {machine()}; device: {args.device}; "
             f"{'quick' if args.quick else 'full'} sizes.", ""]
    failed = 0
    for script in scripts:
        command = [sys.executable, str(script), "--device", args.device] + (["--quick"] if args.quick else [])
        start = time.perf_counter()
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
            out, ok = run.stdout, run.returncode == 0
            error = run.stderr[-2000:]
        except subprocess.TimeoutExpired:
            out, ok, error = "", False, f"timed out after {args.timeout:.0f} s"
        elapsed = time.perf_counter() - start
        tables = "\n".join(line for line in out.splitlines() if line.startswith(("|", "###", "*")) or not line)
        parts.append(f"## {script.stem} ({elapsed:.0f} s)\n")
        parts.append(tables.strip() + "\n" if ok else f"FAILED:\n```\n{error}\n```\n")
        failed += not ok
        print(parts[-2] + parts[-1], flush=True)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "summary.md").write_text("\n".join(parts))
    print(f"summary written to {results / 'summary.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
