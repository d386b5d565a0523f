"""The README's first example runs as written (with one epoch instead of ten, for time)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_first_readme_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    code = blocks[0].replace("epochs=10", "epochs=1")
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["history"].status in ("completed", "stopped")
    assert namespace["mean"].shape == (5, 10) and namespace["std"].shape == (5, 10)
    assert "dense1 (Dense)" in capsys.readouterr().out


def test_the_readme_names_every_experiment_and_the_test_command():
    from trainlab.lessons import MODULES

    text = README.read_text()
    assert all(name in text for name in MODULES)
    assert (
        "bash scripts/test.sh" in text
        and "bash scripts/test.sh" in (README.parent / ".ci" / "run").read_text()
    )
