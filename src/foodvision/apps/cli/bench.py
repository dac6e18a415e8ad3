"""``foodvision bench``: time the study's models on each Keras backend.

Example:
    $ foodvision bench --quick --backends jax,tensorflow
"""

from __future__ import annotations

import argparse
from typing import Any

from foodvision.apps.bench.runner import PRECISIONS, VARIANTS


def add_parser(commands: Any) -> None:
    """Register ``bench`` on the command's sub-parsers."""
    bench = commands.add_parser(
        "bench", help="time the study's models on each Keras backend (JSON, Markdown, PNG)"
    )
    bench.add_argument(
        "--backends",
        default=",".join(VARIANTS),
        help=f"comma-separated, from {', '.join(VARIANTS)} (default: all installed); "
        "jax-dp is JAX with one device per CPU core and data parallelism",
    )
    bench.add_argument("--quick", action="store_true", help="fewer cases and batches (minutes)")
    bench.add_argument("--timed-batches", type=int, default=None, metavar="N")
    bench.add_argument("--batch-size", type=int, default=32)
    bench.add_argument("--precision", choices=PRECISIONS, default="float32")
    bench.add_argument(
        "--models", default=None, help="comma-separated model names to keep (default: all cases)"
    )
    bench.add_argument("--out", default="runs/bench", help="output folder (default: %(default)s)")
    bench.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark, print the table and save JSON, Markdown and a chart."""
    from foodvision.apps.bench import report
    from foodvision.apps.bench.cases import benchmark_cases
    from foodvision.apps.bench.runner import run_benchmark

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    cases = benchmark_cases(args.quick, args.batch_size)
    wanted: set[str] = set()
    if args.models:
        wanted = {m.strip() for m in args.models.split(",") if m.strip()}
        known = {case.model for case in cases}
        if not wanted <= known:
            raise ValueError(
                f"no benchmark case for {sorted(wanted - known)}; choose from {sorted(known)}"
            )
        cases = [case for case in cases if case.model in wanted]
    payload = run_benchmark(
        backends,
        quick=args.quick,
        cases=cases,
        timed_batches=args.timed_batches,
        precision=args.precision,
    )
    print(report.markdown(payload))
    stem = "backends" + ("_quick" if args.quick else "")
    stem += "" if args.precision == "float32" else f"_{args.precision}"
    stem += "" if args.batch_size == 32 else f"_batch{args.batch_size}"
    stem += "" if not args.models else "_" + "-".join(sorted(wanted))
    for path in report.save(payload, args.out, stem):
        print(f"saved {path}")
    return 0
