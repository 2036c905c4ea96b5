#!/usr/bin/env bash
# Smoke-test the built offline bundle using only the bundle (no venv, no source tree on sys.path).
#
#   scripts/dist_test.sh [DIST_DIR]        DIST_DIR defaults to dist/witness-bench
#
# Runs, from an empty temporary folder with a clean HOME and WITNESS_BENCH_HOME:
#   1. bench-app --version          (must match bench_app/__init__.py)
#   2. bench-app checklist list     (bundled resources are found frozen)
#   3. bench-app demo --headless --out DIR, then bench-app verify on every PDF it wrote
#   4. bench-app verify             (audit chain of the demo's session database)
#   5. bench-app gui --smoke-test   offscreen (skipped, loudly, only while the command is missing)
# and finally asserts that nothing inside the bundle was created, changed or deleted.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIST="$(cd "${1:-$ROOT/dist/witness-bench}" 2>/dev/null && pwd)" || {
    echo "dist-test: no bundle at ${1:-$ROOT/dist/witness-bench} (run 'make dist' first)" >&2
    exit 2
}
BIN="$DIST/bench-app"
[[ -x "$BIN" ]] || BIN="$DIST/bench-app.exe"
[[ -x "$BIN" ]] || { echo "dist-test: no bench-app executable in $DIST" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/wb-dist-test.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

# A clean user: user data must go here, never into the bundle. No Python from the venv.
export HOME="$WORK/home"
export WITNESS_BENCH_HOME="$WORK/data"
export XDG_DATA_HOME="$WORK/home/.local/share" XDG_CONFIG_HOME="$WORK/home/.config"
export XDG_CACHE_HOME="$WORK/home/.cache"
export PATH="/usr/local/bin:/usr/bin:/bin"
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV WITNESS_BENCH_DB || true
mkdir -p "$HOME"
cd "$WORK"

dangling="$(find "$DIST" -xtype l)"
[[ -z "$dangling" ]] || { echo "$dangling" >&2; echo "dist-test: FAIL dangling symlinks in the bundle" >&2; exit 1; }

snapshot() { (cd "$DIST" && find . -printf '%y %s %T@ %p\n' | LC_ALL=C sort); }
snapshot >"$WORK/before.txt"

pass=0
ok() { pass=$((pass + 1)); echo "dist-test: ok   $*"; }
fail() { echo "dist-test: FAIL $*" >&2; echo "dist-test: $pass passed, 1 failed" >&2; exit 1; }

# 1. version ---------------------------------------------------------------------------------
want="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/bench_app/__init__.py")"
got="$("$BIN" --version)" || fail "bench-app --version exited $?"
[[ "$got" == "bench-app $want" ]] || fail "bench-app --version printed '$got', expected 'bench-app $want'"
ok "--version: $got"

help="$("$BIN" --help)" || fail "bench-app --help exited $?"

# 2. bundled resources -----------------------------------------------------------------------
templates="$("$BIN" checklist list)" || fail "bench-app checklist list exited $?"
n_templates="$(printf '%s\n' "$templates" | grep -c 'steps' || true)"
n_sources="$(find "$ROOT/resources/checklists" -name '*.toml' | wc -l)"
[[ "$n_templates" -eq "$n_sources" ]] \
    || fail "checklist list shows $n_templates templates, resources/checklists has $n_sources"
ok "checklist list: $n_templates bundled templates"

# 3. headless demo, then verify every PDF it wrote ------------------------------------------
OUT="$WORK/demo"
"$BIN" demo --headless --out "$OUT" >"$WORK/demo.log" 2>&1 || {
    cat "$WORK/demo.log" >&2
    fail "bench-app demo --headless --out $OUT exited non-zero"
}
tail -n 3 "$WORK/demo.log" | sed 's/^/    /'
ok "demo --headless"
# The demo keeps its session database in OUT/demo.db (older demos: the user data folder).
DB="$WITNESS_BENCH_HOME/sessions.db"
[[ -e "$OUT/demo.db" ]] && DB="$OUT/demo.db"
pdfs=()
[[ -d "$OUT" ]] && mapfile -t pdfs < <(find "$OUT" -name '*.pdf' | LC_ALL=C sort)
# verify trusts only the certificates it is given (else UNTRUSTED, exit 15): the demo's keys
trust=()
for cert in "$OUT"/keys/*.pem; do [[ -e "$cert" ]] && trust+=(--trust "$cert"); done
if ((${#pdfs[@]})); then
    for pdf in "${pdfs[@]}"; do
        "$BIN" verify "$pdf" --db "$DB" "${trust[@]}" >"$WORK/verify.log" 2>&1 || {
            cat "$WORK/verify.log" >&2
            fail "bench-app verify $pdf exited non-zero"
        }
        ok "verify $(basename "$pdf")"
    done
    # ...and verify must fail on a copy with one byte changed inside the signed range.
    bad="$WORK/tampered.pdf"
    cp "${pdfs[0]}" "$bad"
    size="$(wc -c <"$bad")"
    printf 'X' | dd of="$bad" bs=1 seek=$((size / 3)) conv=notrunc status=none
    if "$BIN" verify "$bad" --db "$DB" "${trust[@]}" >"$WORK/tampered.log" 2>&1; then
        fail "bench-app verify accepted a tampered copy of $(basename "${pdfs[0]}")"
    fi
    ok "verify rejects a tampered copy (exit non-zero: $(tail -n 1 "$WORK/tampered.log" | cut -c1-80))"
else
    echo "dist-test: note the demo wrote no PDF yet (report step not in the demo); verify skipped"
fi

# 4. audit chain of whatever the demo stored ------------------------------------------------
if [[ -e "$DB" ]]; then
    "$BIN" verify --db "$DB" >"$WORK/chain.log" 2>&1 \
        || { cat "$WORK/chain.log" >&2; fail "bench-app verify --db $DB"; }
    ok "verify (audit chain): $(tail -n 1 "$WORK/chain.log")"
fi

# 5. GUI smoke test offscreen ----------------------------------------------------------------
if grep -qE '^ +gui ' <<<"$help" && "$BIN" gui --help | grep -q -- '--smoke-test'; then
    smoke="$(QT_QPA_PLATFORM=offscreen "$BIN" gui --smoke-test 2>"$WORK/smoke.err")" || {
        cat "$WORK/smoke.err" >&2
        echo "$smoke" >&2
        fail "bench-app gui --smoke-test exited non-zero"
    }
    json="$(printf '%s\n' "$smoke" | grep '^{' | tail -n 1)"
    [[ "$json" == *'"ok": true'* ]] || fail "gui --smoke-test did not report ok: $json"
    ok "gui --smoke-test: $json"
else
    echo "dist-test: SKIP gui --smoke-test: 'bench-app gui --smoke-test' does not exist in this build"
fi

# The bundle is read-only to the application -------------------------------------------------
snapshot >"$WORK/after.txt"
if ! diff -u "$WORK/before.txt" "$WORK/after.txt" >"$WORK/bundle.diff"; then
    cat "$WORK/bundle.diff" >&2
    fail "the application wrote inside the bundle $DIST"
fi
ok "nothing written inside $DIST"
echo "dist-test: $pass passed, 0 failed"
