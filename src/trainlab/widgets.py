"""Sliders in a notebook that need no front end: ``interact`` draws them where one is, runs once elsewhere.

``ipywidgets.interact`` needs a front end that draws widgets (Jupyter Lab, Notebook 7, VS Code,
Colab). Executed without one (``jupyter nbconvert --execute``, papermill, nbclient, a grading
script) it draws nothing useful, and its Output widget makes nbclient send messages to the kernel on
the channel it is reading replies from, which hangs the execution at random (jupyter/nbclient#312: 5
of 14 runs of a notebook with sliders hung). :func:`interact` calls ``ipywidgets.interact`` only
where a front end will draw the widgets, and elsewhere runs the function once with the widgets'
initial values, so the executed notebook shows the same figure the sliders start with and never
waits on a widget.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from typing import Any

from trainlab.progress import in_notebook

SETTING = "TRAINLAB_WIDGETS"  # 1 to draw widgets whatever is detected, 0 never to


def front_end_draws_widgets() -> bool:
    """Whether a front end will draw ipywidgets for the cell being run.

    Yes in a kernel of Jupyter Lab or Notebook 7 (their execute requests carry the cell's id; a
    Jupyter server names the kernel's session in $JPY_SESSION_NAME), VS Code and Colab; no in a
    script, a terminal IPython or a notebook executed by nbclient (nbconvert, papermill), whose
    requests carry neither. $TRAINLAB_WIDGETS=1 or 0 decides instead (for a front end this test does
    not know).
    """
    setting = os.environ.get(SETTING, "").strip().lower()
    if setting in ("1", "yes", "true", "on"):
        return True
    if setting in ("0", "no", "false", "off"):
        return False
    if not in_notebook() or importlib.util.find_spec("ipywidgets") is None:
        return False
    shell = sys.modules["IPython"].get_ipython()
    if (
        "JPY_SESSION_NAME" in os.environ
        or "google.colab" in sys.modules
        or "__vsc_ipynb_file__" in shell.user_ns
    ):
        return True
    request = shell.kernel.get_parent() or {}  # the execute request of the cell being run
    return bool(request.get("metadata", {}).get("cellId"))


def interact(function: Callable[..., Any], /, **controls: Any) -> Any:
    """``ipywidgets.interact(function, **controls)`` where a front end draws widgets; elsewhere
    ``function(**initial values)`` once, after a line saying so.

    ``controls`` are what ``ipywidgets.interact`` takes: widgets (their ``value`` is the initial
    value) or plain values (used as they are).
    """
    if front_end_draws_widgets():
        import ipywidgets  # optional: only a notebook with a front end gets here

        return ipywidgets.interact(function, **controls)
    values = {name: getattr(control, "value", control) for name, control in controls.items()}
    shown = ", ".join(
        f"{name}={value:.3g}" if isinstance(value, float) else f"{name}={value!r}"
        for name, value in values.items()
    )
    print(
        f"(no front end draws the sliders here: {function.__name__}({shown}); in Jupyter they are live)"
    )
    return function(**values)
