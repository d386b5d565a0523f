"""Sharing a budget of N trials among processes and machines, so that exactly N finish.

Optuna numbers trials atomically but knows nothing of a budget shared by workers that may die. Each
trial therefore claims a *slot*, 0..N-1, when it starts:

* a trial's slot is the k-th slot not held by an earlier-numbered live trial, where k counts the
  earlier live trials that have not claimed theirs yet (they will take the free slots before it).
  Finished, running and waiting trials hold their slots; failed ones (killed, interrupted) give them
  back, so the next trial takes the slot over: a killed trial is, in effect, re-queued.
* a trial whose slot is N or more is *surplus* (another worker took the last slot first): it stops
  at once and is recorded as failed, so it never counts.
* the random sampler draws a trial's parameters from (seed, slot) and its initial weights too, so
  the same seed gives the same trials, whichever worker runs a slot and however often the search was
  interrupted.

Trials left RUNNING by a process that died are failed before each new trial: at once when the
process ran on this machine (its pid and start time are recorded with the trial and no longer match
a live process), after the storage's heartbeat grace period when it ran elsewhere, and after
:data:`ORPHAN_SECONDS` when the process died before it could record itself. A RUNNING trial of the
very process that is looking is failed too: between two trials a process runs none, so it is left
over from an earlier call that stopped on an error its storage could not record (a full disk).
"""

from __future__ import annotations

import datetime
import itertools
import os
import socket
from functools import lru_cache
from typing import Any

import numpy as np
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
ORPHAN_SECONDS = 30
LIVE = (TrialState.RUNNING, TrialState.WAITING)


class SurplusTrialError(Exception):
    """Raised by a trial that started after the budget was used up; Optuna records it as failed."""


def claim_slot(storage: Any, study_id: int, number: int) -> int:
    """The slot of trial ``number`` (see the module docstring)."""
    taken: set[int] = set()
    pending = 0
    for trial in storage.get_all_trials(study_id, deepcopy=False):
        if trial.number >= number or trial.state == TrialState.FAIL:
            continue
        slot = trial.user_attrs.get("slot")
        if slot is None:
            pending += 1
        else:
            taken.add(slot)
    free = (slot for slot in itertools.count() if slot not in taken)
    return next(itertools.islice(free, pending, None))


def trial_seed(seed: int, slot: int) -> int:
    """The seed of the network trained in ``slot`` (initial weights, dropout, batch order)."""
    return int(np.random.SeedSequence([seed, slot]).generate_state(1)[0])


def count_trials(storage: Any, study_id: int) -> tuple[int, int]:
    """(finished, live): trials complete or pruned, and trials running or waiting to run."""
    states = [trial.state for trial in storage.get_all_trials(study_id, deepcopy=False)]
    return sum(state in FINISHED for state in states), sum(state in LIVE for state in states)


# -- trials of dead processes ----------------------------------------------------------------------
@lru_cache(maxsize=1)
def host_id() -> str:
    """This machine: its host name and boot id (two containers may share a host name, not a boot id)."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as file:
            boot = file.read().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}/{boot}"


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot), or None if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return _start_without_proc(pid)
    return None if fields[0] in ("Z", "X") else fields[19]


def _start_without_proc(pid: int) -> str | None:
    """Without /proc (not Linux): whether the pid exists at all ("?" if it does; pids may be reused)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return "?"
    return "?"


def owner() -> dict[str, Any]:
    """What identifies the process running a trial, recorded with the trial."""
    pid = os.getpid()
    return {"host": host_id(), "pid": pid, "started": process_start(pid)}


def owner_is_dead(record: dict[str, Any] | None) -> bool:
    """True when ``record`` names a process of this machine that no longer runs (False if unsure)."""
    if not record or record.get("host") != host_id():
        return False
    started = process_start(int(record["pid"]))
    return started is None or (started != "?" and started != record.get("started"))


def is_orphan(trial: Any, now: datetime.datetime | None = None) -> bool:
    """True for a RUNNING trial that never recorded its owner although it started ``ORPHAN_SECONDS`` ago.

    A trial records its owner within milliseconds of being created; one that has not after half a
    minute belongs to a process killed in between, on any machine.
    """
    if trial.user_attrs.get("owner") is not None or trial.datetime_start is None:
        return False
    return (
        (now or datetime.datetime.now()) - trial.datetime_start
    ).total_seconds() > ORPHAN_SECONDS


def reap_dead_trials(storage: Any, study_id: int) -> list[int]:
    """Fail the trials left RUNNING by dead processes of this machine, by this process in an earlier
    call, and orphans; return their numbers. Call it between trials only.
    """
    reaped, me = [], owner()
    for trial in storage.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
        record = trial.user_attrs.get("owner")
        if record == me or owner_is_dead(record) or is_orphan(trial):
            trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
            try:
                storage.set_trial_user_attr(trial_id, "status", "interrupted")
                storage.set_trial_state_values(trial_id, TrialState.FAIL)
            except UpdateFinishedTrialError:  # another worker reaped it first
                continue
            reaped.append(trial.number)
    return reaped
