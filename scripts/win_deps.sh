#!/usr/bin/env bash
# Resolve every runtime dependency and the `dist` extra for Windows (win_amd64, Python 3.11) as
# wheels only, into a throw-away folder: a dependency with no Windows wheel fails here, in CI,
# instead of on a tester's laptop. Nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" - >"$tmp/requirements.txt" <<'PYEOF'
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for req in project["dependencies"] + project["optional-dependencies"]["dist"]:
    print(req.split("#")[0].strip())
PYEOF
"$PY" -m pip download --quiet --disable-pip-version-check --platform win_amd64 \
  --python-version 3.11 --implementation cp --only-binary :all: \
  -r "$tmp/requirements.txt" -d "$tmp/wheels"
echo "win-deps: $(ls "$tmp/wheels" | wc -l) wheels resolve for win_amd64 / Python 3.11"
