"""The collector's request handling alone: microseconds of CPU per batch of 100 messages.

What ``POST /v1/batch`` does per request besides HTTP (services/collector.py): ``parse_request`` of the
body and ``accept`` of its messages (checks, spool lines or the batch record), on the Segment batch that
benchmarks/collector.py sends. CPU time of this thread (``time.thread_time``), so it is less noisy than
the HTTP benchmark on a shared machine; the minimum and the median of ``--rounds`` rounds of 100
batches are reported. ``--against REF`` also times services/collector.py as it is at git ref REF
(interleaved with this tree's, round by round), for a before / after comparison.

    python benchmarks/collector_request.py [--rounds 20] [--against lead]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from collector import template  # noqa: E402  (benchmarks/collector.py: the same batch)


def _module_at(ref: str, source: str, name: str, replace: tuple[str, str] | None = None):
    root = Path(__file__).resolve().parent.parent
    text = subprocess.run(["git", "-C", str(root), "show", f"{ref}:{source}"],
                          check=True, capture_output=True, text=True).stdout
    if replace is not None:
        text = text.replace(*replace)
    path = Path(tempfile.mkdtemp()) / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_at(ref: str):
    """services/collector.py (and the collector_fast.py it uses) as they are at git ref ``ref``, as a module."""
    _module_at(ref, "src/centric/services/collector_fast.py", "collector_fast_at_ref")
    return _module_at(ref, "src/centric/services/collector.py", "collector_at_ref",
                      ("from centric.services import collector_fast", "import collector_fast_at_ref as collector_fast"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--against", help="a git ref to compare with (e.g. lead)")
    args = parser.parse_args()
    from centric.services import collector

    body = template(args.batch).replace(b"@" * 20, b"w0c000n00000001xxxxx")
    never = lambda ids: False  # noqa: E731  (a suppression check that finds nobody, as the server did)
    cases = [("this tree, nobody erased", collector, None), ("this tree, erasure check", collector, never)]
    if args.against:
        before = load_at(args.against)
        cases += [(f"{args.against}, nobody erased", before, None), (f"{args.against}, erasure check", before, never)]

    def handle(module, suppressed):
        fields, items = module.parse_request(body, batch=True)
        out = module.accept(items, source="k1", kind=None, sent_at=fields.get("sentAt"), suppressed=suppressed)
        assert len(out.ids) == args.batch and not out.errors  # lines: one a message, or one batch record

    timings: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(args.rounds):
        for name, module, suppressed in cases:
            started = time.thread_time()
            for _ in range(100):
                handle(module, suppressed)
            timings[name].append((time.thread_time() - started) / 100 * 1e6)
    print(f"parse_request + accept of a batch of {args.batch} ({len(body):,} bytes), CPU per batch:")
    for name, values in timings.items():
        values.sort()
        print(f"  {name:32s} min {values[0]:7.0f} us   median {values[len(values) // 2]:7.0f} us")


if __name__ == "__main__":
    main()
