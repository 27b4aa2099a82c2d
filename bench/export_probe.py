"""Child process for the export memory benchmark: exports a range, prints the row count
and its peak resident memory. `python -m bench.export_probe FOLDER FROM TO OUT`."""

from __future__ import annotations

import resource
import sys
from datetime import date
from pathlib import Path

from bench.common import BENCH, open_bench_store, services_over
from kiosk.services.export import ExportRequest


def main() -> None:
    folder, start, end, out = sys.argv[1:5]
    store = open_bench_store(Path(folder))
    result = services_over(store).export.export(
        ExportRequest(date.fromisoformat(start), date.fromisoformat(end), Path(out)), BENCH
    )
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(result.rows, peak_kb, flush=True)


if __name__ == "__main__":
    main()
