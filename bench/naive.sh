#!/bin/sh
# The naive way: build the wheel, make a venv, install, then one `python -c "import m"` per module.
# usage: naive.sh PROJECT_DIR MODULES_FILE WORK_DIR   (uv on PATH)
set -e
project=$1 modules=$2 work=$3
uv build --wheel --quiet --out-dir "$work/dist" "$project"
uv venv --quiet "$work/venv"
uv pip install --quiet --python "$work/venv/bin/python" "$work"/dist/*.whl
failed=0
while read -r module; do
    "$work/venv/bin/python" -c "import $module" >/dev/null 2>&1 || failed=$((failed + 1))
done < "$modules"
echo "failed imports: $failed"
