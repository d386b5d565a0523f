"""One search spread over several processes through a real PostgreSQL server on 127.0.0.1.

The test starts its own server from Debian's ``postgresql`` package (in a fresh temporary folder, on
a free port, trust authentication, fsync off) and stops it afterwards. It is skipped, saying why,
when the server binaries or the psycopg2 driver are missing.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from trainlab.tune import load_result

pytest.importorskip(
    "psycopg2", reason="the PostgreSQL driver is missing: pip install 'trainlab[postgres]'"
)


def server_binaries() -> Path | None:
    """The folder of initdb and pg_ctl: Debian's /usr/lib/postgresql/VERSION/bin, else the PATH."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    as_user: list[str] = []
    root = Path(
        tempfile.mkdtemp(prefix="trainlab-postgres-")
    )  # in /tmp: the postgres user must reach it
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the postgres user
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server as")
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    subprocess.run(
        [
            *as_user,
            binaries / "initdb",
            "-D",
            data,
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *as_user,
            binaries / "pg_ctl",
            "-D",
            data,
            "-l",
            root / "server.log",
            "-w",
            "-o",
            options,
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, binaries / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def test_processes_sharing_a_postgres_study_add_up(postgres_url, tmp_path):
    """Two `trainlab tune` commands on one study, as on two machines (one with 2 workers): N trials in all."""
    # The book's trials on 500 samples (~0.4 s each): no process can finish them all before the others start.
    n = 16
    command = [
        sys.executable,
        "-m",
        "trainlab.cli",
        "tune",
        "--dataset",
        "mnist-mini",
        "--trials",
        str(n),
        "--storage",
        postgres_url,
        "--study",
        "shared",
        "--resume",
    ]
    one_thread = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
    }  # 3 processes on a small machine: no BLAS threads
    machines = [
        subprocess.Popen(
            [*command, "--out", str(tmp_path / name), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=one_thread,
        )
        for name, extra in (("a", ["--workers", "2"]), ("b", []))
    ]
    outputs = [
        machine.communicate(timeout=400) for machine in machines
    ]  # a guard against a hang: loaded CI
    for machine, (stdout, stderr) in zip(machines, outputs, strict=True):
        assert machine.returncode == 0, stderr
        assert f"{n} trials finished" in stdout
    result = load_result(postgres_url, "shared")
    numbers = [t.number for t in result.trials]
    assert len(numbers) == len(set(numbers))
    assert len(result.finished) == n and sorted(t.slot for t in result.finished) == list(range(n))
    assert len({t.worker for t in result.finished}) >= 2  # the trials were shared out
    for name in ("a", "b"):  # each machine wrote the complete results
        assert (
            len((tmp_path / name / "trials.csv").read_text().splitlines()) == len(result.trials) + 1
        )
