"""trainlab.textio: tables, atomic writes, reading JSON, parsing ``--set`` values."""

import json
import os

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
    assert markdown_table(rows).splitlines() == ["| name | loss |", "|---|---|", "| adam | 0.1235 |",
                                                 "| sgd | 2.5 |"]
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
    assert parse_assignments(["lr=0.1", " hidden-sizes = 5,5 "]) == {"lr": "0.1", "hidden_sizes": "5,5"}
    with pytest.raises(ValueError, match="--set 'lr': expected KEY=VALUE"):
        parse_assignments(["lr"])
    with pytest.raises(ValueError, match="--set '=3': expected KEY=VALUE"):
        parse_assignments(["=3"])
