"""`trainlab tune` on a disk that really fills up: a small tmpfs in a private mount namespace.

The test runs the search under ``unshare --user --map-root-user --mount`` (no root needed where user
namespaces are allowed), on a tmpfs of 600 KB that the study's SQLite file and its write-ahead log
fill after a few trials; then it grows the tmpfs (space again) and resumes. It is skipped where
unshare or tmpfs mounts are not allowed.
"""

import shutil
import subprocess
import sys

import pytest

from trainlab.tune import load_result

SCRIPT = """
set -u
mount -t tmpfs -o size=600k tmpfs "$DISK" || exit 90
cd "$DISK"
tune() {{ "{python}" -m trainlab.cli tune --dataset mnist-mini --train-samples 300 --epochs 1 --trials 12 \\
    --space hidden_layers=1 --space hidden_units=8 --workers {workers} --out run "$@"; }}
tune > "$LOGS/first.out" 2> "$LOGS/first.err"; echo $? > "$LOGS/first.code"
mount -o remount,size=64m "$DISK"
tune --resume > "$LOGS/second.out" 2> "$LOGS/second.err"; echo $? > "$LOGS/second.code"
cp run/study.db "$LOGS/"
"""


def namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        [
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            "mount -t tmpfs -o size=64k tmpfs /mnt 2>/dev/null || mount -t tmpfs tmpfs /tmp",
        ],
        capture_output=True,
    )
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not namespaces_work(), reason="no user namespaces with tmpfs mounts here"
)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_full_disk_stops_the_search_with_one_line_and_resume_finishes_it(workers, tmp_path):
    disk, logs = tmp_path / "disk", tmp_path / "logs"
    disk.mkdir()
    logs.mkdir()
    script = SCRIPT.format(python=sys.executable, workers=workers)
    subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        check=True,
        timeout=300,
        env={
            "PATH": "/usr/bin:/bin",
            "DISK": str(disk),
            "LOGS": str(logs),
            "OPENBLAS_NUM_THREADS": "1",
            "TRAINLAB_OFFLINE": "1",
            "MPLBACKEND": "Agg",
            "HOME": str(tmp_path),
        },
    )
    first_error = (logs / "first.err").read_text().strip()
    assert (logs / "first.code").read_text().strip() == "2", first_error
    assert len(first_error.splitlines()) == 1 and "Traceback" not in first_error
    finished = int(first_error.split("; the ")[1].split()[0])
    assert first_error == (
        "trainlab tune: error: storage run/study.db could not be written (database or disk is "
        f"full); the {finished} finished trials are kept there: once there is space (free some "
        "disk space), run the same command with --resume to continue the search"
    )
    assert 0 <= finished < 12
    assert (logs / "second.code").read_text().strip() == "0", (logs / "second.err").read_text()
    assert (
        f"study 'hyperparameter-search' in run/study.db: {finished} of 12 trials finished"
        in (logs / "second.out").read_text()
    )
    result = load_result(str(logs / "study.db"), "hyperparameter-search")
    assert len(result.finished) == 12 and sorted(t.slot for t in result.finished) == list(range(12))
