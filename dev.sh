#!/usr/bin/env bash
# Setup, run and test machinery for pos_customer_ledger. See README.md.
#   ./dev.sh run [ODOO OPTIONS]   set up, create the demo database once, serve on localhost:8069
#                                 (or HTTP_PORT, or the port .state/odoo.conf already has)
#   ./dev.sh test    set up, lint, recreate the test database, run the test suite
#   ./dev.sh lint    set up, run the static checks only (ruff, pylint-odoo, OCA's XML/PO checks)
#   ./dev.sh bench [SCRIPT [ARGS]]   set up, run one or all benchmark scripts in bench/
#   ./dev.sh i18n [DB]   refresh the .pot and merge it into zh_CN.po
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV="$ROOT/.venv"
STATE="$ROOT/.state"
ODOO_BRANCH=18.0
ODOO_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/odoo/$ODOO_BRANCH"
ODOO_GIT=https://github.com/odoo/odoo.git
DEMO_DB=${DEMO_DB:-pos_ledger_demo}
TEST_DB=${TEST_DB:-pos_ledger_test}
# HTTP_PORT, else the port of the existing .state/odoo.conf (the setup rewrites that file:
# a checkout given another port keeps it), else 8069
config_http_port() {
    [ -f "$STATE/odoo.conf" ] || return 0
    sed -n 's/^http_port *= *\([0-9][0-9]*\) *$/\1/p' "$STATE/odoo.conf" | head -n 1
}
HTTP_PORT=${HTTP_PORT:-$(config_http_port)}
HTTP_PORT=${HTTP_PORT:-8069}
# run listens on this address only: localhost unless told otherwise (0.0.0.0: every interface)
HTTP_INTERFACE=${HTTP_INTERFACE:-127.0.0.1}
MODULE=pos_customer_ledger
# optional bridges, installed and tested with the addon
BRIDGES=(pos_customer_ledger_mass_mailing)
# Odoo addons the addon adapts to when they are installed (soft dependencies):
# the addon's suite runs a second time on a database that has them
SOFT_DEPENDENCIES=(pos_loyalty mis_builder_budget)
# bridges to soft dependencies (OCA addons of requirements-oca.txt): they install
# themselves with their dependency and are tested in the second pass
SOFT_BRIDGES=(pos_customer_ledger_mis_builder)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

ensure_odoo() {
    if [ -n "${ODOO_SRC:-}" ]; then
        [ -x "$ODOO_SRC/odoo-bin" ] || die "ODOO_SRC=$ODOO_SRC has no odoo-bin; point it at an Odoo $ODOO_BRANCH source tree."
    elif [ -x "$ODOO_CACHE/odoo-bin" ]; then
        ODOO_SRC=$ODOO_CACHE
    else
        say "Odoo $ODOO_BRANCH not found; cloning $ODOO_GIT into $ODOO_CACHE"
        mkdir -p "$(dirname "$ODOO_CACHE")"
        if ! git clone --quiet --depth 1 --branch "$ODOO_BRANCH" "$ODOO_GIT" "$ODOO_CACHE.tmp"; then
            rm -rf "$ODOO_CACHE.tmp"
            die "Odoo $ODOO_BRANCH source is missing. Provide it in one of these ways:
  - export ODOO_SRC=/path/to/odoo-$ODOO_BRANCH (a tree holding odoo-bin, odoo/ and addons/), or
  - put that tree at $ODOO_CACHE, or
  - allow network access to github.com so that '$ODOO_GIT' (branch $ODOO_BRANCH) can be cloned."
        fi
        mv "$ODOO_CACHE.tmp" "$ODOO_CACHE"
        ODOO_SRC=$ODOO_CACHE
    fi
    export ODOO_SRC
}

# Odoo's pins for Python < 3.12 include sdists that no longer build (cbor2 5.4.2);
# its 3.12 pins all have wheels for 3.11, so markers are evaluated as for 3.12.
odoo_requirements() {
    "$VENV/bin/python" - "$ODOO_SRC/requirements.txt" <<'EOF'
import sys
from pip._vendor.packaging.requirements import Requirement
env = {"python_version": "3.12", "python_full_version": "3.12.0",
       "sys_platform": "linux", "platform_system": "Linux"}
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    req = Requirement(line)
    if req.name.lower() == "python-ldap":  # needs LDAP headers; only auth_ldap uses it
        continue
    if req.marker is None or req.marker.evaluate(env):
        req.marker = None
        print(req)
EOF
}

ensure_venv() {
    [ -x "$VENV/bin/python" ] || { say "Creating virtualenv $VENV"; python3 -m venv "$VENV"; }
    mkdir -p "$STATE"
    local stamp
    stamp=$(cat "$ODOO_SRC/requirements.txt" "$ROOT/requirements.txt" "$ROOT/requirements-oca.txt" | sha1sum | cut -d' ' -f1)
    if [ "$(cat "$STATE/venv.stamp" 2>/dev/null)" != "$stamp" ]; then
        say "Installing Python requirements"
        odoo_requirements > "$STATE/odoo-requirements.txt"
        # this machine's pip config lists local indexes that may not exist; hide that noise
        if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check \
            -r "$STATE/odoo-requirements.txt" -r "$ROOT/requirements.txt" 2>&1 \
            | { grep -v "^WARNING: Location 'file:" || true; } >&2; then
            die "pip could not install the requirements (see above)."
        fi
        if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps \
            -r "$ROOT/requirements-oca.txt" 2>&1 \
            | { grep -v "^WARNING: Location 'file:" || true; } >&2; then
            die "pip could not install the OCA addons of requirements-oca.txt (see above)."
        fi
        echo "$stamp" > "$STATE/venv.stamp"
    fi
    # makes `import odoo` work for pytest-odoo and the benchmark scripts
    "$VENV/bin/python" -c 'import site; print(site.getsitepackages()[0])' \
        | xargs -I{} sh -c "echo '$ODOO_SRC' > {}/odoo_src.pth"
}

# apt-get that waits (10 minutes) for another apt-get or dpkg holding the lock and
# retries when the lock is still held; its output goes to .state/apt.log
apt_get() {
    local attempt
    for attempt in 1 2 3; do
        if DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 "$@" >>"$STATE/apt.log" 2>&1; then
            return 0
        fi
        grep -qiE "could not get lock|unable to (acquire|lock)" <(tail -n 5 "$STATE/apt.log") || return 1
        say "Another process holds apt's lock; retrying in 30 s ($attempt/3)"
        sleep 30
    done
    return 1
}

# apt_install PACKAGE...: installs them, or prints apt's own words for why not and fails
apt_install() {
    mkdir -p "$STATE"
    : >"$STATE/apt.log"
    apt_get update && apt_get install -y "$@" && return 0
    say "apt-get could not install $*; apt said (full log: $STATE/apt.log):"
    grep -E "^(E|W): " "$STATE/apt.log" | tail -n 5 >&2 || tail -n 5 "$STATE/apt.log" >&2
    return 1
}

pg_ok() { psql -X -q -d postgres -c 'select 1' >/dev/null 2>&1; }

as_postgres() {
    if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else sudo -n -u postgres sh -c "$*"; fi
}

ensure_postgres() {
    pg_ok && return 0
    if [ -z "${PGHOST:-}" ] && ! command -v pg_ctlcluster >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            say "Installing PostgreSQL from Debian packages"
            apt_install postgresql || die "apt-get could not install postgresql (see above)."
        else
            die "No PostgreSQL server answers and none is installed. Install PostgreSQL, or set PGHOST/PGPORT/PGUSER/PGPASSWORD."
        fi
    fi
    if [ -z "${PGHOST:-}" ]; then
        local cluster
        cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1" "$2}')
        [ -n "$cluster" ] || die "PostgreSQL is installed but has no cluster; create one with pg_createcluster."
        if ! pg_lsclusters --no-header | awk 'NR==1 {print $4}' | grep -q online; then
            say "Starting PostgreSQL cluster $cluster"
            # shellcheck disable=SC2086
            pg_ctlcluster $cluster start 2>/dev/null || as_postgres "pg_ctlcluster $cluster start" \
                || die "Could not start PostgreSQL cluster $cluster (run this as root or a sudoer)."
        fi
        if ! pg_ok; then
            say "Creating PostgreSQL role $(id -un)"
            as_postgres "createuser --superuser $(id -un)" \
                || die "Could not create a PostgreSQL role for $(id -un)."
        fi
    fi
    pg_ok || die "PostgreSQL does not accept connections for $(id -un) (check PGHOST/PGPORT/PGUSER/PGPASSWORD)."
}

write_config() {
    CONF="$STATE/odoo.conf"
    cat > "$CONF" <<EOF
[options]
addons_path = $ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$ROOT
data_dir = $STATE/data
db_host = ${PGHOST:-False}
db_port = ${PGPORT:-False}
db_user = ${PGUSER:-False}
db_password = ${PGPASSWORD:-False}
http_port = $HTTP_PORT
log_level = warn
max_cron_threads = ${MAX_CRON_THREADS:-1}
EOF
}

# wkhtmltopdf prints PDF reports, with the CJK fonts for Chinese statements (without
# them every Chinese character vanishes); pdftotext reads them back in the tests;
# chromium runs the browser tours. Tests that need them are skipped, saying so, when
# they are missing.
ensure_system_tools() {
    local missing=()
    command -v wkhtmltopdf >/dev/null || missing+=(wkhtmltopdf)
    command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
    command -v pdftotext >/dev/null || missing+=(poppler-utils)
    fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        say "WARNING: ${missing[*]} not installed (needs root and apt-get); PDF and browser tests will be skipped."
        return 0
    fi
    say "Installing ${missing[*]} from Debian packages"
    apt_install "${missing[@]}" \
        || say "WARNING: ${missing[*]} not installed (see above); PDF and browser tests will be skipped."
}

setup() {
    ensure_odoo
    ensure_venv
    ensure_postgres
    ensure_system_tools
    write_config
}

odoo() { "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$CONF" "$@"; }

db_exists() { psql -X -Atq -d postgres -c "select 1 from pg_database where datname = '$1'" | grep -q 1; }

module_installed() {
    db_exists "$1" && psql -X -Atq -d "$1" \
        -c "select 1 from ir_module_module where name = '$MODULE' and state = 'installed'" 2>/dev/null | grep -q 1
}

# Start Odoo on the demo database in the background; return once it answers.
# It stops when this script exits. Extra arguments go to odoo-bin.
start_demo() {
    setup
    if ! module_installed "$DEMO_DB"; then
        say "Creating demo database $DEMO_DB with $MODULE and demo data (a few minutes, once)"
        odoo -d "$DEMO_DB" -i "$MODULE" --stop-after-init
    fi
    local host=$HTTP_INTERFACE url server
    case "$host" in "" | 0.0.0.0 | ::) host=localhost ;; esac
    url="http://$host:$HTTP_PORT"
    say "Starting Odoo on $HTTP_INTERFACE:$HTTP_PORT with database $DEMO_DB"
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DEMO_DB" --db-filter="^$DEMO_DB\$" \
        --http-interface="$HTTP_INTERFACE" --http-port="$HTTP_PORT" --log-level=info "$@" &
    server=$!
    # shellcheck disable=SC2064  # the server's pid, now: the local is gone when EXIT fires
    trap "kill $server 2>/dev/null; wait $server 2>/dev/null" INT TERM EXIT
    until "$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' \
        "$url/web/login" 2>/dev/null; do
        kill -0 "$server" 2>/dev/null \
            || die "Odoo stopped before answering on $HTTP_INTERFACE:$HTTP_PORT (see its log above; is the port taken?)."
        sleep 1
    done
    DEMO_URL=$url DEMO_SERVER=$server
}

# Serve the demo database: the URL is printed once the server answers; the
# server stops with this script (Ctrl-C).
cmd_run() {
    start_demo "$@"
    say "Odoo is ready: $DEMO_URL  database: $DEMO_DB  login: admin  password: admin  (Ctrl-C stops it)"
    wait "$DEMO_SERVER"
}

# Retake the Apps page screenshots (pos_customer_ledger/static/description) from the
# demo database in headless Chromium; Playwright (PyPI) drives the system's Chromium
# and is installed in the venv the first time.
cmd_screenshots() {
    start_demo --log-level=warn
    "$VENV/bin/python" -c "import playwright" 2>/dev/null || "$VENV/bin/pip" install -q "playwright==1.65.2"
    "$VENV/bin/python" "$ROOT/scripts/screenshots.py" --url "$DEMO_URL" --db "$DEMO_DB"
}

# Install, then prove upgrade and uninstall on a copy holding POS orders and ledger entries.
check_upgrade_uninstall() {
    say "Upgrading $MODULE on $TEST_DB"
    odoo -d "$TEST_DB" -u "$MODULE" --stop-after-init
    local copy="${TEST_DB}_uninstall"
    dropdb --if-exists "$copy"
    createdb -T "$TEST_DB" "$copy"
    say "Uninstalling $MODULE on $copy"
    # Odoo tries to delete the module's demo customers and keeps them, logging the
    # refused DELETEs (they still have POS orders); the assertions below are the check.
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" shell -c "$CONF" -d "$copy" --no-http --log-level=critical <<'PY'
module = env["ir.module.module"].search([("name", "=", "pos_customer_ledger")])
orders = env["pos.order"].search_count([])
entries = env["pos.customer.ledger.entry"].search_count([])
assert orders and entries, f"uninstall check needs POS orders and entries ({orders}, {entries})"
module.button_immediate_uninstall()
env.cr.execute("select to_regclass('pos_customer_ledger_entry')")
assert env.cr.fetchone()[0] is None, "ledger table survived uninstall"
assert env["pos.order"].search_count([]) == orders, "uninstall lost POS orders"
print(f"uninstall check: ok ({orders} POS orders kept, {entries} ledger entries removed)")
PY
    dropdb "$copy"
}

# recreate_db DB MODULE...: a fresh database with these modules installed
recreate_db() {
    local db=$1; shift
    say "Recreating database $db with $*"
    dropdb --if-exists "$db"
    odoo -d "$db" -i "$(IFS=,; echo "$*")" --stop-after-init
}

run_tests() {
    local db=$1; shift
    # -rs: every skipped test is listed with its reason. --odoo-http: Odoo's HTTP
    # server runs in the pytest process, so the HttpCase browser tours run too.
    "$VENV/bin/pytest" -p no:cacheprovider -rs --odoo-http --odoo-database="$db" --odoo-config="$CONF" "$@"
}

ADDONS=("$MODULE" "${BRIDGES[@]}" "${SOFT_BRIDGES[@]}")

# The static checks of .pre-commit-config.yaml that gate the run: ruff, pylint-odoo
# with OCA's mandatory configuration, OCA's manifest/XML and PO checks, and every
# test module registered in its tests/__init__.py (else Odoo's runner skips it).
run_lint() {
    cd "$ROOT"
    local status=0 addon
    say "Lint: ruff"
    "$VENV/bin/ruff" check . || status=1
    "$VENV/bin/ruff" format --check . || status=1
    say "Lint: pylint-odoo (.pylintrc-mandatory)"
    # migration scripts sit outside the addons' packages: name them
    local migrations=()
    mapfile -t migrations < <(find "${ADDONS[@]}" -path '*/migrations/*' -name '*.py' | sort)
    "$VENV/bin/pylint" --rcfile=.pylintrc-mandatory --output-format=text "${ADDONS[@]}" "${migrations[@]}" \
        || status=1
    say "Lint: OCA module and PO checks"
    "$VENV/bin/oca-checks-odoo-module" "${ADDONS[@]}" || status=1
    for addon in "${ADDONS[@]}"; do
        [ -d "$addon/i18n" ] || continue
        "$VENV/bin/oca-checks-po" --disable=po-pretty-format "$addon"/i18n/*.po* || status=1
    done
    say "Lint: README.rst generated from readme/*.md"
    "$VENV/bin/python" scripts/gen_readme_rst.py --check "${ADDONS[@]}" || status=1
    say "Lint: test modules registered"
    "$VENV/bin/python" "$MODULE/tests/registration.py" "${ADDONS[@]/%//tests}" || status=1
    [ "$status" = 0 ] || die "lint found problems (see above)"
}

cmd_lint() {
    ensure_odoo
    ensure_venv
    run_lint
}

cmd_test() {
    setup
    run_lint
    recreate_db "$TEST_DB" "$MODULE" "${BRIDGES[@]}"
    check_upgrade_uninstall
    cd "$ROOT"
    if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
        say "WARNING: chromium not found: the browser tours (tag pos_ledger_tour) will be skipped."
    fi
    local status=0 soft_db="${TEST_DB}_soft"
    say "Running the test suite"
    run_tests "$TEST_DB" "$MODULE/tests" "${BRIDGES[@]/%//tests}" "$@" || status=$?
    say "Running the addon's suite again with ${SOFT_DEPENDENCIES[*]} installed"
    recreate_db "$soft_db" "$MODULE" "${SOFT_DEPENDENCIES[@]}"
    run_tests "$soft_db" "$MODULE/tests" "${SOFT_BRIDGES[@]/%//tests}" "$@" || status=$?
    [ "$status" = 0 ] || die "the test suite failed (see above)"
}

cmd_bench() {
    setup
    cd "$ROOT"
    if [ $# -gt 0 ]; then
        local script=$1; shift
        "$VENV/bin/python" "$script" --config "$CONF" "$@"
    else
        for script in bench/bench_*.py; do
            say "Benchmark $script"
            "$VENV/bin/python" "$script" --config "$CONF"
        done
    fi
}

# Refresh each addon's i18n/<module>.pot from a database with the addons
# installed and merge it into zh_CN.po: new terms arrive untranslated, stale ones
# are dropped.
cmd_i18n() {
    setup
    local db=${1:-$TEST_DB} module dir
    module_installed "$db" || die "Database $db has no $MODULE installed; run ./dev.sh test first."
    odoo -d "$db" -i "$(IFS=,; echo "${BRIDGES[*]},${SOFT_BRIDGES[*]}")" -u "$MODULE" --stop-after-init
    for module in "$MODULE" "${BRIDGES[@]}" "${SOFT_BRIDGES[@]}"; do
        dir="$ROOT/$module/i18n"
        mkdir -p "$dir"
        odoo -d "$db" --i18n-export="$dir/$module.pot" --modules="$module"
        [ -f "$dir/zh_CN.po" ] || cp "$dir/$module.pot" "$dir/zh_CN.po"
        "$VENV/bin/python" - "$dir/$module.pot" "$dir/zh_CN.po" <<'EOF'
import sys
import polib
pot, po = polib.pofile(sys.argv[1]), polib.pofile(sys.argv[2])
po.metadata["Language"] = "zh_CN"
po.merge(pot)
po[:] = [entry for entry in po if not entry.obsolete]
po.save()
missing = [entry.msgid for entry in po if not entry.msgstr]
print(f"{sys.argv[2]}: {len(missing)} untranslated terms", *missing, sep="\n")
EOF
    done
}

case "${1:-}" in
    setup) setup; echo "config: $CONF" ;;
    run) shift; cmd_run "$@" ;;
    test) shift; cmd_test "$@" ;;
    lint) shift; cmd_lint ;;
    bench) shift; cmd_bench "$@" ;;
    screenshots) shift; cmd_screenshots "$@" ;;
    i18n) shift; cmd_i18n "$@" ;;
    *) echo "usage: $0 setup|run|test|lint|bench|i18n|screenshots" >&2; exit 2 ;;
esac
