"""One display over every unit of a ``trainlab run``: done, running and left, the workers, and an ETA.

The ETA comes from the units already trained: their measured seconds against their expected costs
give this machine's speed, which turns the expected cost of the units left into seconds, shared by
the workers. On a terminal it is one tqdm bar whose line ends with those counts; in a log (output to
a pipe or a file) it is a line per finished lesson and, while units run, one line at most every
``every`` seconds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from tqdm import tqdm

from trainlab.lab.units import Trained, Unit


def duration(seconds: float) -> str:
    """ "45 s", "12 min", "1 h 05 min"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


class UnitProgress:
    """Counts units as they are planned, found in the cache, started and finished, and shows them."""

    def __init__(
        self,
        units: list[Unit],
        workers: int,
        *,
        stream: TextIO | None = None,
        every: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.cost_left = sum(u.cost for u in units)
        self.total, self.done, self.cached, self.workers = len(units), 0, 0, workers
        self.trained_seconds = self.trained_cost = 0.0
        self.clock, self.every, self.last_line = clock, every, clock()
        self.bar = (
            tqdm(
                total=self.total,
                desc="units",
                leave=False,
                file=self.stream,
                dynamic_ncols=True,
                bar_format="{desc} {bar:20} {n}/{total} {postfix}",
            )
            if self.stream.isatty()
            else None
        )

    def running(self, queued: int) -> int:
        return min(self.workers, queued)

    def eta(self) -> float | None:
        """Seconds until every unit is done, from the speed measured so far (None before any unit trained)."""
        if self.trained_cost <= 0:
            return None
        return self.cost_left * (self.trained_seconds / self.trained_cost) / max(1, self.workers)

    def status(self, queued: int) -> str:
        eta = self.eta()
        left = self.total - self.done
        text = (
            f"{self.done} done ({self.cached} cached), {self.running(queued)} running, "
            f"{left - self.running(queued)} waiting; {self.workers} worker{'s' * (self.workers != 1)}"
        )
        return text + (f"; about {duration(eta)} left" if eta is not None and left else "")

    def finished(self, trained: Trained, queued: int) -> None:
        """One unit came back (trained, or from the cache)."""
        self.done += 1
        self.cost_left -= trained.unit.cost
        if trained.cached:
            self.cached += 1
        else:
            self.trained_seconds += trained.seconds
            self.trained_cost += trained.unit.cost
        if self.bar is not None:
            self.bar.set_postfix_str(self.status(queued), refresh=False)
            self.bar.update()
        elif self.clock() - self.last_line >= self.every:
            self.say(f"units: {self.status(queued)}")

    def say(self, line: str) -> None:
        """A line above the bar (or in the log)."""
        self.last_line = self.clock()
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
