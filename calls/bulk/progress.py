"""A progress bar (tqdm) with rows/s, silenced by --verbosity 0."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

Progress = Callable[[int], None]  # called with the rows just done


@contextmanager
def progress_bar(*, total: int | None, verbosity: int, desc: str) -> Iterator[Progress]:
    bar = tqdm(
        total=total,
        unit=" rows",
        unit_scale=True,
        desc=desc,
        disable=verbosity < 1,
        file=sys.stderr,
        mininterval=0.5,
        smoothing=0.1,
    )
    try:
        yield bar.update
    finally:
        bar.close()
