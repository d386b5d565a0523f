#!/usr/bin/env bash
# Set up trainlab on a fresh machine: Debian packages (when run as root), a virtual environment in .venv
# and the package itself. `--test` also installs what the tests need; `--notebooks` Jupyter Lab and the
# notebooks' .ipynb files.
#   bash scripts/setup.sh               # to run experiments
#   bash scripts/setup.sh --test        # to run the tests
#   bash scripts/setup.sh --notebooks   # to open notebooks/ in Jupyter Lab (.venv/bin/jupyter lab notebooks/)
set -euo pipefail
cd "$(dirname "$0")/.."

test_setup=false
notebooks_setup=false
for argument in "$@"; do
    case "$argument" in
        --test) test_setup=true ;;
        --notebooks) notebooks_setup=true ;;
        *) echo "setup: unknown option $argument (allowed: --test, --notebooks)" >&2; exit 2 ;;
    esac
done

# Debian packages. dataset-fashion-mnist gives the real Fashion-MNIST offline
# (/usr/share/datasets/fashion-mnist); without it, the Fashion-MNIST experiments stop with an error that says
# how to get it (`trainlab data download fashion-mnist`). MNIST ships with trainlab.
debian_packages=(dataset-fashion-mnist)
# For the tests: chromium renders the HTML report headless (the report test skips without it).
$test_setup && debian_packages+=(chromium)
# For the tests: a PostgreSQL server, which the distributed-search test starts on 127.0.0.1 (it skips without).
$test_setup && debian_packages+=(postgresql)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing=()
    for package in "${debian_packages[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null \
            || echo "setup: warning: could not install ${missing[*]}; the tests that need them will skip"
    fi
else
    echo "setup: not root (or no apt-get): skipping Debian packages ${debian_packages[*]}"
fi

# Python environment.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
if $test_setup; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
    # PyTorch CPU is the peer that some tests and the benchmarks compare with. Install it only from a local
    # CPU wheel (never the multi-GB CUDA build from the index); the comparison tests skip without it.
    if ls /opt/wheels/torch-2.13.0+cpu-*.whl >/dev/null 2>&1; then
        .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0" \
            || echo "setup: warning: could not install torch; comparisons with PyTorch will skip"
    fi
else
    .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
if $notebooks_setup; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[notebooks]"
    # The notebooks are kept in git as jupytext percent scripts (notebooks/*.py: readable diffs, no outputs);
    # make the paired .ipynb files that Jupyter opens, keeping a newer .ipynb (with its outputs) if there is one.
    .venv/bin/jupytext --quiet --sync notebooks/*.py
    echo "setup: notebooks ready: .venv/bin/jupyter lab notebooks/"
fi
echo "setup: done ($(.venv/bin/trainlab --version))"
