"""Where studies live: an SQLite file by default, any SQLAlchemy URL (PostgreSQL) to share one search.

The storage is opened, and so connected to, before any trial starts: a wrong URL, an unreachable
server or a missing driver is a :class:`StorageError` (a ValueError) that names the URL, its
password hidden. Trials record a heartbeat every :data:`HEARTBEAT_SECONDS`; a trial whose heartbeat
stopped for :data:`GRACE_SECONDS` (its machine died) is failed by the next worker, and its slot is
run again.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import random
import re
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy
from optuna.storages import BaseStorage, InMemoryStorage, RDBStorage

from trainlab.tune.config import SearchConfig

HEARTBEAT_SECONDS = 10
GRACE_SECONDS = 60


class StorageError(ValueError):
    """A storage cannot be opened: bad URL, unreachable server, missing driver, unwritable file."""


def storage_url(storage: str | None, out: str | None) -> str | None:
    """The SQLAlchemy URL of ``storage`` (a URL, or an SQLite file's path); ``OUT/study.db`` when
    None and ``out`` is set; None (memory) when neither is.
    """
    if storage is None:
        return None if out is None else sqlite_url(Path(out) / "study.db")
    if "://" in storage:
        return storage
    return sqlite_url(Path(storage))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.expanduser().resolve()}"


def safe_url(url: str | None) -> str:
    """``url`` for printing: the password replaced by ***."""
    if url is None:
        return "memory"
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def storage_label(url: str | None) -> str:
    """The storage as a person reads it: an SQLite file's path (relative below the current folder),
    else the URL with its password hidden, or "memory".
    """
    if url is None or not url.startswith("sqlite:///"):
        return safe_url(url)
    path = Path(url[len("sqlite:///") :])
    with contextlib.suppress(ValueError):
        path = path.relative_to(Path.cwd())
    return str(path)


def open_storage(url: str | None, prepared: bool = False) -> BaseStorage:
    """Open (and connect to) the storage at ``url``; None gives a storage in memory.

    ``prepared``: the tables exist and were checked (by the process that started this worker);
    skipping that saves ~0.3 s of a worker's start.
    """
    if url is None:
        return InMemoryStorage()
    shown = safe_url(url)  # errors name the URL as the user wrote it
    url = with_driver(url)
    engine: dict[str, Any] = {}
    if url.startswith("sqlite:///"):
        # Several processes write to one file: wait for a lock rather than fail at once.
        engine["connect_args"] = {"timeout": 60}
        try:
            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"cannot create the folder of storage {shown}: {error}") from None
    elif url.startswith("postgresql"):
        engine["connect_args"] = {
            "connect_timeout": 10
        }  # fail in seconds, not minutes, on a wrong host
        engine["pool_pre_ping"] = True
    try:
        storage = _connect(url, engine, prepared)
        if url.startswith("sqlite:///"):
            use_write_ahead_log(storage.engine)
        return storage
    except ImportError as error:
        raise StorageError(
            f"storage {shown}: the database driver is missing ({error}); for PostgreSQL "
            "install psycopg2-binary (pip install 'trainlab[postgres]') or psycopg"
        ) from None
    except (
        Exception
    ) as error:  # SQLAlchemy's errors for bad URLs, refused connections, bad credentials
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StorageError(f"cannot open storage {shown}: {reason}") from None


class Storage(RDBStorage):
    """Optuna's RDB storage, whose heartbeat keeps beating through a failed write.

    Optuna records a running trial's heartbeat from a thread of its own, every
    :data:`HEARTBEAT_SECONDS`. When the storage fails (a full disk, a lost connection) that thread
    died with a 45-line traceback on stderr, just before the trial's own next write failed with the
    same cause and the search stopped with its one-line error. A missed heartbeat is harmless (the
    next one writes again; only one missed for :data:`GRACE_SECONDS` makes the trial stale), so the
    heartbeat leaves the failure to the trial to report.
    """

    def record_heartbeat(self, trial_id: int) -> None:
        with contextlib.suppress(
            sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError, OSError
        ):
            super().record_heartbeat(trial_id)


def _connect(
    url: str, engine: dict[str, Any], prepared: bool = False, attempts: int = 5
) -> RDBStorage:
    """An RDBStorage for ``url``, which creates Optuna's tables in a new database.

    Processes that open a new database at the same moment (machines started together) race to create
    the tables; the losers get "already exists" / "duplicate key" errors, and simply open it again.
    """
    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter(
                    "ignore", optuna.exceptions.ExperimentalWarning
                )  # heartbeat: "experimental"
                return Storage(
                    url,
                    engine_kwargs=engine,
                    heartbeat_interval=HEARTBEAT_SECONDS,
                    grace_period=GRACE_SECONDS,
                    skip_table_creation=prepared,
                    skip_compatibility_check=prepared,
                )
        except Exception as error:
            if attempt == attempts - 1 or not any(
                text in str(error) for text in ("already exists", "duplicate key")
            ):
                raise
            time.sleep(0.2 + random.random())
    raise AssertionError("unreachable")


def with_driver(url: str) -> str:
    """``url`` with an installed PostgreSQL driver named when it names none.

    SQLAlchemy 2.1 reads ``postgresql://`` as psycopg 3; trainlab's ``postgres`` extra installs
    psycopg2 (psycopg2-binary), so a plain URL uses whichever of the two is installed.
    """
    if (
        url.startswith("postgresql://")
        and importlib.util.find_spec("psycopg") is None
        and importlib.util.find_spec("psycopg2") is not None
    ):
        return "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


def use_write_ahead_log(engine: sqlalchemy.engine.Engine) -> None:
    """Make SQLite commit without waiting for the disk each time (write-ahead log, synchronous=NORMAL).

    A trial commits some 30 times (a report per epoch, its attributes); with SQLite's default
    rollback journal each commit waits for an fsync (~10 ms here), which costs more than a short
    trial's training. In WAL mode readers do not block the writer either, which helps several
    workers. A power cut may lose the last commits, never corrupt the file. (WAL needs a local disk:
    use PostgreSQL across machines.)
    """

    def set_pragmas(connection: Any, record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    sqlalchemy.event.listen(engine, "connect", set_pragmas)
    engine.dispose()  # connections opened before the listener existed are closed, so every one gets it


def study_id_of(storage: BaseStorage, name: str) -> int | None:
    """The id of study ``name`` in ``storage``, or None if there is none."""
    try:
        return storage.get_study_id_from_name(name)
    except KeyError:
        return None


def open_study(
    storage: BaseStorage,
    config: SearchConfig,
    dataset: str,
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
    create: bool = True,
) -> tuple[optuna.Study, int]:
    """The study ``config.study``: created, or (with ``config.resume``, or for a worker) loaded.

    An existing study with trials is refused unless ``config.resume`` (continue it) or
    ``config.overwrite`` (delete it and start afresh). A study is resumed only if it was made with
    the same settings (``STUDY_FIELDS`` and the dataset actually loaded), so that trials of
    different searches never mix. Returns (study, study id).
    """
    name = config.study
    existing = study_id_of(storage, name)
    if existing is None and not create:
        raise ValueError(f"study {name!r} does not exist in storage {describe(storage)}")
    if existing is not None and create and config.overwrite:
        optuna.delete_study(study_name=name, storage=storage)
    elif existing is not None and create and not config.resume:
        count = len(storage.get_all_trials(existing, deepcopy=False))
        if count:
            raise ValueError(
                f"study {name!r} already exists in {describe(storage)} with {count} trials: pass "
                "--resume to continue it (or join it from another machine), --overwrite to delete "
                "it and start again, or choose another --study"
            )
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction="maximize",
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )
    study_id = storage.get_study_id_from_name(name)
    check_settings(study, config, dataset)
    return study, study_id


def check_settings(study: optuna.Study, config: SearchConfig, dataset: str) -> None:
    """Record the study's settings on first use; afterwards refuse a process whose settings differ."""
    settings = {**config.study_settings(), "dataset_loaded": dataset}
    saved = study.user_attrs.get("settings")
    if saved is None:
        study.set_user_attr("settings", settings)
    else:
        differ = [key for key in settings if saved.get(key) != settings[key]]
        if differ:
            details = "; ".join(
                f"{key}: {saved.get(key)!r} there, {settings[key]!r} here" for key in differ
            )
            raise ValueError(
                f"study {config.study!r} was made with other settings ({details}); use the same "
                "settings to resume or join it, or choose another --study"
            )
    if study.user_attrs.get("trials") != config.trials:
        study.set_user_attr("trials", config.trials)


def describe(storage: BaseStorage) -> str:
    """The storage as a person reads it (see :func:`storage_label`)."""
    return storage_label(getattr(storage, "url", None))


# -- a storage that fails while the search runs (a full disk, a lost server) -----------------------
DATABASE_ERRORS = (
    sqlite3.Error,
    sqlalchemy.exc.SQLAlchemyError,
    optuna.exceptions.StorageInternalError,
)


def database_error(error: BaseException) -> BaseException | None:
    """The innermost database error in ``error``'s chain of causes and contexts, or None if there is none.

    Optuna wraps a failed write in StorageInternalError, and a failure while it records the trial's
    end in an AssertionError; the reason a person needs (SQLite's "database or disk is full") is at
    the bottom.
    """
    found, seen = None, set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DATABASE_ERRORS):
            found = error
        error = error.__cause__ or error.__context__
    return found


@contextlib.contextmanager
def storage_failures(url: str | None, finished: Callable[[], int]) -> Iterator[None]:
    """Turn a database error raised inside the block into one :class:`StorageError` sentence: what
    failed, that the ``finished()`` trials are kept, and that ``--resume`` continues once the cause
    is gone.
    """
    try:
        yield
    except StorageError:
        raise
    except Exception as error:
        cause = database_error(error)
        if cause is None:
            raise
        reason = (
            str(getattr(cause, "orig", None) or cause).strip().splitlines()[0]
            or type(cause).__name__
        )
        raise StorageError(failure_message(url, reason, finished)) from None


def failure_message(url: str | None, reason: str, finished: Callable[[], int]) -> str:
    try:
        kept = f"the {finished()} finished trials are kept there"
    except Exception:  # the storage cannot even be read now: the trials it holds are still there
        kept = "the finished trials are kept there"
    full = "full" in reason.lower() or f"[Errno {errno.ENOSPC}]" in reason
    when = "once there is space (free some disk space)" if full else "once the storage works again"
    return (
        f"storage {storage_label(url)} could not be written ({reason}); {kept}: {when}, run the same command "
        "with --resume to continue the search"
    )
