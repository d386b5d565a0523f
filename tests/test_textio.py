"""trainlab.textio: tables, atomic writes, reading JSON, parsing ``--set`` values."""

import json
import os
import re
import stat

import numpy as np
import pytest

from trainlab.textio import (
    atomic_writer,
    markdown_table,
    parse_assignments,
    parse_bool,
    parse_value,
    read_json,
    text_table,
    write_json,
    write_text,
)


def test_tables_align_and_format_floats():
    rows = [("name", "loss"), ("adam", 0.123456789), ("sgd", np.float32(2.5))]
    assert text_table(rows).splitlines() == ["name  loss", "adam  0.1235", "sgd   2.5"]
    assert markdown_table(rows).splitlines() == [
        "| name | loss |",
        "|---|---|",
        "| adam | 0.1235 |",
        "| sgd | 2.5 |",
    ]
    assert markdown_table([["a|b"], ["c"]]).splitlines()[0] == "| a\\|b |"


def test_write_json_is_atomic_and_writes_numpy_values(tmp_path):
    path = tmp_path / "sub" / "m.json"
    write_json(path, {"a": np.arange(3), "b": np.float32(0.5), "c": np.int64(7)})
    assert json.loads(path.read_text()) == {"a": [0, 1, 2], "b": 0.5, "c": 7}
    with pytest.raises(TypeError, match="cannot write object"):
        write_json(path, {"x": object()})
    assert json.loads(path.read_text())["c"] == 7  # the old file survives a failed write whole
    assert os.listdir(path.parent) == ["m.json"]  # and no temporary file is left behind


def test_a_failed_write_leaves_the_destination_as_it_was(tmp_path):
    path = write_text(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_writer(path) as file:
        file.write(b"half")
        raise RuntimeError("disk full")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]


def test_read_json_names_the_file(tmp_path):
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match=r"empty\.json: unreadable JSON \(empty file\)"):
        read_json(tmp_path / "empty.json")
    with pytest.raises(ValueError, match=r"bad\.json: unreadable JSON"):
        read_json(tmp_path / "bad.json")
    with pytest.raises(ValueError, match=r"missing\.json: unreadable JSON"):
        read_json(tmp_path / "missing.json")


def test_parse_values_of_each_type():
    assert parse_value("3", int, "w") == 3 and parse_value("0.5", float, "w") == 0.5
    assert parse_value("Yes", bool, "w") is True and parse_value("0", bool, "w") is False
    assert parse_value("none", int | None, "w") is None and parse_value("4", int | None, "w") == 4
    assert parse_value("50, 20", tuple[int, ...], "w") == (50, 20)
    with pytest.raises(ValueError, match="--set n=x: expected a value of type int"):
        parse_value("x", int, "--set n=x")
    with pytest.raises(ValueError, match="--set lr=nan: expected a finite number"):
        parse_value("nan", float, "--set lr=nan")
    with pytest.raises(ValueError, match="expected true or false, got 'maybe'"):
        parse_bool("maybe", "--set flag=maybe")


def test_parse_assignments():
    assert parse_assignments(["lr=0.1", " hidden-sizes = 5,5 "]) == {
        "lr": "0.1",
        "hidden_sizes": "5,5",
    }
    with pytest.raises(ValueError, match="--set 'lr': expected KEY=VALUE"):
        parse_assignments(["lr"])
    with pytest.raises(ValueError, match="--set '=3': expected KEY=VALUE"):
        parse_assignments(["=3"])


# -- issue 22, finding N6: what an output path is, and the permissions of what is written ----------
def writers(tmp_path):
    """Every way trainlab writes a file: the text helpers and a model checkpoint."""
    import trainlab as tl

    model = tl.Sequential([tl.Dense(2)], input_dim=3, seed=0).compile("sgd")
    return {
        "write_text": lambda path: write_text(path, "x"),
        "write_json": lambda path: write_json(path, [1]),
        "model.save": lambda path: model.save(path),
    }


@pytest.mark.parametrize(
    ("mask", "mode"),
    [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)],
    ids=["umask 022", "umask 077", "umask 002"],
)
def test_new_files_keep_the_umask_and_stay_atomic(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        for name, write in writers(tmp_path).items():
            path = tmp_path / name
            write(path)  # a new file
            assert stat.S_IMODE(path.stat().st_mode) == mode, name
            os.chmod(path, 0o600)
            write(path)  # replacing one: a new file again, whole, with the umask's permissions
            assert stat.S_IMODE(path.stat().st_mode) == mode, name
    finally:
        os.umask(old)
    assert sorted(os.listdir(tmp_path)) == sorted(writers(tmp_path))  # no temporary file left


def make_special(tmp_path, kind):
    """A path that is not a regular file, and how to see that it is still what it was."""
    path = tmp_path / f"out-{kind}"
    if kind == "FIFO":
        os.mkfifo(path)
        return path, lambda: stat.S_ISFIFO(os.lstat(path).st_mode)
    if kind == "character device":
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
        except PermissionError:
            pytest.skip("creating a device node needs root")
        return path, lambda: stat.S_ISCHR(os.lstat(path).st_mode)
    if kind == "folder":
        path.mkdir()
        return path, path.is_dir
    target = tmp_path / "target.txt"
    if kind == "symbolic link":
        target.write_text("precious")
    path.symlink_to(target)  # "dangling": a link to nothing
    return (
        path,
        lambda: path.is_symlink() and (kind != "symbolic link" or target.read_text() == "precious"),
    )


@pytest.mark.parametrize(
    "kind", ["FIFO", "character device", "symbolic link", "dangling", "folder"]
)
@pytest.mark.parametrize("writer", ["write_text", "write_json", "model.save"])
def test_a_device_fifo_or_link_is_refused_not_replaced(tmp_path, kind, writer):
    path, unchanged = make_special(tmp_path, kind)
    described = {"dangling": "symbolic link", "FIFO": "FIFO (named pipe)"}.get(kind, kind)
    with pytest.raises(
        ValueError,
        match=rf"out-{kind} is a {re.escape(described)}, not a regular file: trainlab "
        r"writes its files atomically .* and will not replace a",
    ):
        writers(tmp_path)[writer](path)
    assert unchanged()
    assert not [
        name for name in os.listdir(tmp_path) if name.endswith(".part")
    ]  # nothing left behind
