#!/usr/bin/env bash
# Starts the Strata stack described by config/stack.toml: devnet (unless a
# Bitcoin Core is configured), tp, pool (with its web page), translator and,
# with --with-miner, two demo CPU miners; with --with-jd also the job
# declarator server, a second tp and the job declarator client, the
# translator and demo miners then mining behind the JDC. Each role waits for
# the previous one's port; each logs to <logs_dir>/<role>.log; PID files go
# to <data_dir>/run so `stop` ends exactly what was started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
cd "$ROOT"

ALL_ROLES=(devnet tp pool jds jdc-tp jdc translator miner-sv1 miner-sv2)
STACK_FILE="${STRATA_STACK_CONFIG:-$ROOT/config/stack.toml}"
COMMAND=start
WITH_MINER=0
WITH_JD=0
USE_TMUX=0
TMUX_SESSION="${STRATA_TMUX_SESSION:-strata}"

usage() {
  cat <<'EOF'
Usage: ./start-pool.sh [start|stop|status] [options]

  start (default)  install and build if needed, create missing authority keys
                   and the job declaration token secret,
                   start the roles in order, each once the previous one answers
  stop             stop what start started (SIGTERM, then SIGKILL after
                   stop_grace_secs), by the PID files in <data_dir>/run
  status           each role: PID, port and health

Options:
  -c, --config FILE  stack settings (default config/stack.toml; env STRATA_STACK_CONFIG)
  --with-miner       also start two demo CPU miners: Stratum V1 through the
                     translator and SV2 directly on the pool (with --with-jd:
                     on the JDC)
  --with-jd          mine your own templates: also start the job declarator
                     server (jds) beside the pool, a second tp for the JDC and
                     the job declarator client (jdc), with its own authority
                     key; the pool takes custom jobs, the translator mines
                     through the JDC; on devnet the node makes synthetic
                     transactions ([devnet] jd_tx_per_minute, default 120)
  --tmux             run each role in its own window of tmux session "strata"
                     (env STRATA_TMUX_SESSION) instead of in the background
  -h, --help         this help

Environment: STRATA_SKIP_INSTALL=1 skips `npm ci` when node_modules exists;
STRATA_SKIP_BUILD=1 skips the build when dist/ exists.
EOF
}

die() {
  echo "start-pool.sh: $*" >&2
  exit 1
}

say() { echo "start-pool.sh: $*"; }
warn() { echo "start-pool.sh: warning: $*" >&2; }

while (($# > 0)); do
  case "$1" in
    start | stop | status) COMMAND="$1" ;;
    -c | --config)
      (($# > 1)) || die "$1 needs a file"
      STACK_FILE="$2"
      shift
      ;;
    --config=*) STACK_FILE="${1#--config=}" ;;
    --with-miner) WITH_MINER=1 ;;
    --tmux) USE_TMUX=1 ;;
    --with-jd) WITH_JD=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument \"$1\" (see ./start-pool.sh --help)" ;;
  esac
  shift
done
[[ -f "$STACK_FILE" ]] || die "$STACK_FILE: no such stack config file"

# --- prerequisites --------------------------------------------------------

# The Node.js release lines Strata supports; package.json engines:
# ^20.19.0 || ^22.13.0 || ^24.0.0 || ^26.0.0. Older releases and the
# non-LTS lines between them are refused; Node.js 20 still runs Strata but
# left upstream support in April 2026 (a warning says so); lines newer than
# 26 are not tested yet (a warning too).
NODE_SUPPORTED="20 (20.19 or newer), 22 (22.13 or newer), 24 or 26"
check_node() {
  command -v node >/dev/null 2>&1 || die "Node.js is not installed (Strata needs Node.js $NODE_SUPPORTED)"
  local v major minor
  v="$(node -p 'process.versions.node' 2>/dev/null)" || die "cannot run node to read its version"
  IFS=. read -r major minor _ <<<"$v"
  if ! [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]]; then
    die "cannot read the Node.js version ($v): Strata needs Node.js $NODE_SUPPORTED"
  fi
  if ((major < 20 || (major == 20 && minor < 19) || (major == 22 && minor < 13))); then
    die "Node.js $v is too old: Strata needs Node.js $NODE_SUPPORTED"
  fi
  if ((major < 26 && major != 20 && major != 22 && major != 24)); then
    die "Node.js $v is not a supported release line: Strata runs on Node.js $NODE_SUPPORTED"
  fi
  if ((major == 20)); then
    warn "Node.js $v works, but Node.js 20 left upstream support in April 2026: move to 24 or 26"
  elif ((major > 26)); then
    warn "Node.js $v is newer than the lines Strata is tested on ($NODE_SUPPORTED)"
  fi
}

ensure_deps() {
  if [[ -d node_modules && "${STRATA_SKIP_INSTALL:-}" == 1 ]]; then return; fi
  if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing dependencies (npm ci)"
    npm ci --no-audit --no-fund || die "npm ci failed (output above)"
  fi
}

ensure_build() {
  local stamp=dist/src/cli.js
  if [[ -f "$stamp" && "${STRATA_SKIP_BUILD:-}" == 1 ]]; then return; fi
  if [[ -f "$stamp" && -z "$(find src package.json tsconfig.json -newer "$stamp" -print -quit)" ]]; then
    return
  fi
  say "building (tsc)"
  local out
  if out="$(npx --no-install tsc -p . 2>&1)"; then return; fi
  # tsc still writes JavaScript on type errors; only errors in src/ stop the stack.
  if grep -qE '^src/' <<<"$out" || [[ ! -f "$stamp" ]]; then
    echo "$out" >&2
    die "the build failed (errors above)"
  fi
  say "warning: the build reported errors outside src/ (tests or benchmarks); the roles are built"
}

load_paths() {
  local out
  out="$(node scripts/stack.mjs paths "$STACK_FILE")" || exit 1
  eval "$out"
}

load_plan() {
  local out args=(plan "$STACK_FILE")
  ((WITH_MINER)) && args+=(--with-miner)
  ((WITH_JD)) && args+=(--with-jd)
  out="$(node scripts/stack.mjs "${args[@]}")" || exit 1
  eval "$out"
}

# --- processes --------------------------------------------------------------

var_of() { echo "${1//-/_}"; }

# Plan values by role: get PORT pool -> $PORT_pool ("" when unset).
get() {
  local name="${1}_$(var_of "$2")"
  echo "${!name:-}"
}

pid_file() { echo "$RUN_DIR/$1.pid"; }

# A PID that is running (not a zombie) and is one of this checkout's roles.
alive() {
  local pid="$1" state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  if [[ -r "/proc/$pid/stat" ]]; then
    state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
    [[ "$state" != Z ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$ROOT/dist/src/" || return 1
    return 0
  fi
  kill -0 "$pid" 2>/dev/null
}

role_pid() {
  local f
  f="$(pid_file "$1")"
  [[ -f "$f" ]] && cat "$f"
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

start_role() {
  local role="$1" log pid ref
  ref="CMD_$(var_of "$role")[@]"
  local cmd=("${!ref}")
  log="$LOGS_DIR/$role.log"
  if ((USE_TMUX)); then
    local line
    line="exec > >(tee -a $(printf '%q' "$log")) 2>&1; exec $(printf '%q ' "${cmd[@]}")"
    if tmux has-session -t "$TMUX_SESSION" 2>/dev/null; then
      tmux new-window -d -t "$TMUX_SESSION" -n "$role" bash -c "$line"
    else
      tmux new-session -d -s "$TMUX_SESSION" -n "$role" bash -c "$line"
    fi
    pid="$(tmux display-message -p -t "$TMUX_SESSION:$role" '#{pane_pid}')"
  else
    if command -v setsid >/dev/null 2>&1; then
      setsid nohup "${cmd[@]}" >>"$log" 2>&1 </dev/null &
    else
      nohup "${cmd[@]}" >>"$log" 2>&1 </dev/null &
    fi
    pid=$!
  fi
  echo "$pid" >"$(pid_file "$role")"
  STARTED+=("$role")
}

# Stops one role by its PID file: SIGTERM, then SIGKILL after the grace period.
stop_role() {
  local role="$1" pid i
  pid="$(role_pid "$role")" || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_GRACE * 10; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      say "$role (pid $pid) still running after ${STOP_GRACE}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        alive "$pid" || break
        sleep 0.1
      done
    fi
    say "stopped $role (pid $pid)"
  fi
  rm -f "$(pid_file "$role")"
}

stop_started() {
  local i
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do stop_role "${STARTED[$i]}"; done
}

# Prints why a role did not come up, with its last log lines, stops the rest and exits.
fail_role() {
  local role="$1" why="$2" log="$LOGS_DIR/$1.log" last=""
  [[ -f "$log" ]] && last="$(grep -v '^\s*$' "$log" | tail -n 1)"
  echo "start-pool.sh: $role $why${last:+: $last}" >&2
  if [[ -f "$log" ]]; then
    echo "--- last lines of $log:" >&2
    tail -n 15 "$log" >&2
  fi
  stop_started
  exit 1
}

wait_ready() {
  local role="$1" pid host port deadline
  port="$(get PORT "$role")"
  host="$(get HOST "$role")"
  pid="$(role_pid "$role")"
  deadline=$((SECONDS + START_TIMEOUT))
  if [[ -z "$port" ]]; then
    # No port (the demo miners): it is up when it survives its first second.
    sleep 1
    alive "$pid" || fail_role "$role" "exited at start"
    return
  fi
  while ((SECONDS < deadline)); do
    alive "$pid" || fail_role "$role" "exited at start"
    if port_open "$host" "$port"; then return; fi
    sleep 0.2
  done
  fail_role "$role" "did not open port $port within ${START_TIMEOUT}s"
}

wait_web() {
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    alive "$(role_pid pool)" || fail_role pool "exited at start"
    if port_open "$WEB_HOST" "$WEB_PORT"; then return; fi
    sleep 0.2
  done
  fail_role pool "did not open its web port $WEB_PORT within ${START_TIMEOUT}s"
}

ensure_key() {
  local name="$1"
  if [[ -f "$KEYS_DIR/$name.key" && -f "$KEYS_DIR/$name.pub" ]]; then return; fi
  if [[ -f "$KEYS_DIR/$name.key" || -f "$KEYS_DIR/$name.pub" ]]; then
    die "$KEYS_DIR holds only half of the $name key pair; restore the other file or remove both to make a new pair"
  fi
  local out
  out="$(node dist/src/cli.js keygen --out-dir "$KEYS_DIR" --name "$name" 2>&1)" || die "cannot create the $name key: $out"
  say "created authority key $KEYS_DIR/$name.pub"
}

# The secret job declaration tokens are signed with (shared by the pool and the
# job declarator server): 32 random bytes as hex, made once and kept.
ensure_token_secret() {
  local file="$KEYS_DIR/jd-token.key" out
  [[ -f "$file" ]] && return
  out="$(node dist/src/cli.js keygen --jd-token-secret "$file" 2>&1)" || die "cannot create $file: $out"
  say "created job declaration token secret $file"
}

ensure_accounts() {
  ((${#ACCOUNTS[@]} > 0)) || return 0
  local existing name
  existing="$("${ACCOUNT_CMD[@]}" account list --json)" || die "cannot read the pool's accounts (output above)"
  for name in "${ACCOUNTS[@]}"; do
    if ! grep -qF "\"name\":\"$name\"" <<<"$existing"; then
      "${ACCOUNT_CMD[@]}" account add "$name" >/dev/null || die "cannot create pool account $name"
      say "created pool account $name"
    fi
  done
}

# --- commands ------------------------------------------------------------------

cmd_start() {
  check_node
  ensure_deps
  ensure_build
  load_plan
  ((USE_TMUX)) && ! command -v tmux >/dev/null 2>&1 && die "--tmux: tmux is not installed"

  local role pid specs=() port
  for role in "${ALL_ROLES[@]}"; do
    pid="$(role_pid "$role" 2>/dev/null)" || continue
    alive "$pid" && die "$role is already running (pid $pid); ./start-pool.sh stop first"
  done
  # Every port is checked before anything starts.
  for role in "${ROLES[@]}"; do
    port="$(get PORT "$role")"
    [[ -n "$port" ]] && specs+=("$role=$(get LISTEN "$role"):$port")
  done
  [[ -n "$WEB_PORT" ]] && specs+=("pool web page=$WEB_LISTEN:$WEB_PORT")
  local taken
  if ! taken="$(node scripts/stack.mjs ports-free "${specs[@]}" 2>&1)"; then
    die "${taken//$'\n'/; }; stop what uses it or change the port in $STACK_FILE"
  fi

  mkdir -p "$LOGS_DIR" "$RUN_DIR" "$KEYS_DIR"
  chmod 700 "$KEYS_DIR"
  ensure_key tp-authority
  ensure_key pool-authority
  ((WITH_JD)) && ensure_key jdc-authority
  ensure_token_secret
  [[ " ${ROLES[*]} " == *" pool "* ]] && ensure_accounts

  STARTED=()
  trap 'echo "start-pool.sh: interrupted; stopping what was started" >&2; stop_started; exit 130' INT TERM
  for role in "${ROLES[@]}"; do
    start_role "$role"
    wait_ready "$role"
    if [[ "$role" == pool && -n "$WEB_PORT" ]]; then wait_web; fi
    port="$(get PORT "$role")"
    say "$role up (pid $(role_pid "$role")${port:+, port $port}, log $LOGS_DIR/$role.log)"
  done
  trap - INT TERM
  [[ -n "$WEB_PORT" ]] && say "pool web page: http://$WEB_HOST:$WEB_PORT/"
  if [[ " ${ROLES[*]} " == *" jdc "* ]]; then
    say "job declaration: JDC on port $(get PORT jdc) (miners pin $KEYS_DIR/jdc-authority.pub), JDS on port $(get PORT jds)"
  fi
  local again=""
  [[ "$STACK_FILE" != "$ROOT/config/stack.toml" ]] && again=" -c $STACK_FILE"
  say "network $STACK_NETWORK, node $RPC_URL; stop with ./start-pool.sh stop$again"
  ((USE_TMUX)) && say "tmux attach -t $TMUX_SESSION"
  return 0
}

cmd_stop() {
  load_paths
  local i any=0
  for ((i = ${#ALL_ROLES[@]} - 1; i >= 0; i--)); do
    [[ -f "$(pid_file "${ALL_ROLES[$i]}")" ]] && any=1
    stop_role "${ALL_ROLES[$i]}"
  done
  ((any)) || say "nothing to stop (no PID files in $RUN_DIR)"
}

cmd_status() {
  load_paths
  # Ports come from the full plan (with the job declaration roles when they
  # were started); a role config that no longer checks out only hides them.
  local plan args=(plan "$STACK_FILE") role
  for role in jds jdc-tp jdc; do [[ -f "$(pid_file "$role")" ]] && args+=(--with-jd) && break; done
  plan="$(node scripts/stack.mjs "${args[@]}" 2>/dev/null)" && eval "$plan"
  local role pid port host health running=0 bad=0
  printf '%-12s %-8s %-7s %s\n' ROLE PID PORT HEALTH
  for role in "${ALL_ROLES[@]}"; do
    port="$(get PORT "$role")"
    host="$(get HOST "$role")"
    pid="$(role_pid "$role" 2>/dev/null)" || pid=""
    if [[ -z "$pid" ]]; then
      continue
    elif ! alive "$pid"; then
      health="not running (stale PID file)"
      bad=1
    else
      running=1
      health="running"
      if [[ -n "$port" ]]; then
        if port_open "$host" "$port"; then health+=", port answering"; else
          health+=", port NOT answering"
          bad=1
        fi
      fi
      if [[ "$role" == pool && -n "${WEB_PORT:-}" ]]; then
        if node scripts/stack.mjs http-ok "http://$WEB_HOST:$WEB_PORT/healthz"; then
          health+=", web /healthz ok"
        else
          health+=", web /healthz FAILING"
          bad=1
        fi
      fi
    fi
    printf '%-12s %-8s %-7s %s\n' "$role" "$pid" "${port:--}" "$health"
  done
  if ((!running && !bad)); then
    echo "the stack is not running"
    return 3
  fi
  return $((bad ? 1 : 0))
}

case "$COMMAND" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
esac
