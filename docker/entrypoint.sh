#!/usr/bin/env bash
# Container entry: `entrypoint.sh <role> [flags...]`. Roles read config/<role>.toml
# (mount your own config/ over /app/config to change them); the node, network
# and peer addresses come from the environment so docker-compose.yml sets them
# in one place:
#   STRATA_NETWORK       regtest | signet | testnet4 | testnet3 | mainnet (default regtest)
#   BITCOIN_RPC_URL      default http://bitcoind:18443
#   BITCOIN_RPC_COOKIE   default /bitcoin/.cookie (used unless user and password are set)
#   BITCOIN_RPC_USER, BITCOIN_RPC_PASSWORD
#   TP_ADDRESS           the pool's template provider, default tp:8442
#   POOL_ADDRESS         the translator's pool, default pool:34254
#   POOL_COINBASE_REWARD_SCRIPT  the pool's payout address (on regtest default: the
#                        anyone-can-spend address of OP_TRUE; required elsewhere)
#   POOL_ACCOUNTS        accounts created when missing (default: strata-translator)
#   JOB_DECLARATION      true: the pool takes custom jobs (token secret
#                        data/keys/jd-token.key) and creates the JDC's account
#   JDS_ADDRESS          the JDC's job declarator server, default jds:34264
#   JDC_TP_ADDRESS       the JDC's own template provider, default jdc-tp:8443
#   JDC_ADDRESS          the JDC translator's upstream, default jdc:34265
#   POOL_AUTHORITY_PUBKEY  the pool's (and JDS's) key the JDC pins, default
#                        data/keys/pool-authority.pub (a key string or a file)
#   JDC_COINBASE_REWARD_SCRIPT  the JDC's solo payout address (on regtest default:
#                        the same OP_TRUE address; required elsewhere)
#   JDC_USER_IDENTITY    the JDC's <account>.<worker> on the pool (default strata-jdc)
set -euo pipefail
cd /app

NETWORK="${STRATA_NETWORK:-regtest}"
REGTEST_PAYOUT=bcrt1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqseac85

# `strata <role>` when the CLI has the role, else the role's stand-alone entry.
strata() {
  local role="$1"
  shift
  if node dist/src/cli.js "$role" --help >/dev/null 2>&1; then
    exec node dist/src/cli.js "$role" "$@"
  fi
  exec node "dist/src/roles/$role/main.js" "$@"
}

# The pool's payout address (also the JDS's): on regtest the OP_TRUE address unless set.
pool_payout() {
  local payout="${POOL_COINBASE_REWARD_SCRIPT:-}"
  [[ -z "$payout" && "$NETWORK" == regtest ]] && payout="$REGTEST_PAYOUT"
  echo "$payout"
}

rpc_flags() {
  RPC=(--network "$NETWORK" --rpc-url "${BITCOIN_RPC_URL:-http://bitcoind:18443}")
  if [[ -n "${BITCOIN_RPC_USER:-}" && -n "${BITCOIN_RPC_PASSWORD:-}" ]]; then
    RPC+=(--rpc-user "$BITCOIN_RPC_USER" --rpc-password "$BITCOIN_RPC_PASSWORD")
  else
    RPC+=(--rpc-cookie "${BITCOIN_RPC_COOKIE:-/bitcoin/.cookie}")
  fi
}

role="${1:-pool}"
(($# > 0)) && shift

case "$role" in
  keys)
    # Run once before tp and pool: creates the authority key pairs that are
    # missing, and the secret job declaration tokens are signed with.
    for name in tp-authority pool-authority jdc-authority; do
      if [[ ! -f "data/keys/$name.key" ]]; then
        node dist/src/cli.js keygen --out-dir data/keys --name "$name"
      fi
    done
    if [[ ! -f data/keys/jd-token.key ]]; then
      node dist/src/cli.js keygen --jd-token-secret data/keys/jd-token.key
    fi
    ;;
  tp)
    rpc_flags
    strata tp -c config/tp.toml "${RPC[@]}" "$@"
    ;;
  jdc-tp)
    # The JDC's own template provider: config/tp.toml on the same node, port 8443.
    rpc_flags
    strata tp -c config/tp.toml "${RPC[@]}" --listen 0.0.0.0:8443 "$@"
    ;;
  pool)
    rpc_flags
    payout="$(pool_payout)"
    extra=(--tp-address "${TP_ADDRESS:-tp:8442}")
    [[ -n "$payout" ]] && extra+=(--coinbase-reward-script "$payout")
    accounts="${POOL_ACCOUNTS-strata-translator}"
    if [[ "${JOB_DECLARATION:-false}" == true ]]; then
      extra+=(--job-declaration true --jd-token-secret data/keys/jd-token.key)
      jdc_identity="${JDC_USER_IDENTITY:-strata-jdc}"
      accounts+=" ${jdc_identity%%.*}"
    fi
    # Accounts the translator (and demo miners, and the JDC) log in with, in PPLNS mode.
    pool=(node dist/src/cli.js pool)
    node dist/src/cli.js pool --help >/dev/null 2>&1 || pool=(node dist/src/roles/pool/main.js)
    existing="$("${pool[@]}" -c config/pool.toml "${RPC[@]}" "${extra[@]}" account list --json)"
    for name in $accounts; do
      grep -qF "\"name\":\"$name\"" <<<"$existing" ||
        "${pool[@]}" -c config/pool.toml "${RPC[@]}" "${extra[@]}" account add "$name"
    done
    strata pool -c config/pool.toml "${RPC[@]}" "${extra[@]}" "$@"
    ;;
  translator)
    strata translator -c config/translator.toml --upstream "${POOL_ADDRESS:-pool:34254}" "$@"
    ;;
  jds)
    # Beside the pool: the pool's authority key and payout (config/jds.toml), the shared token secret.
    rpc_flags
    payout="$(pool_payout)"
    extra=()
    [[ -n "$payout" ]] && extra+=(--coinbase-reward-script "$payout")
    strata jds -c config/jds.toml "${RPC[@]}" "${extra[@]}" "$@"
    ;;
  jdc)
    # Its own tp, the pool and its JDS (both under the pool's key), its own key (config/jdc.toml).
    payout="${JDC_COINBASE_REWARD_SCRIPT:-}"
    [[ -z "$payout" && "$NETWORK" == regtest ]] && payout="$REGTEST_PAYOUT"
    extra=(
      --network "$NETWORK"
      --tp-address "${JDC_TP_ADDRESS:-jdc-tp:8443}"
      --pool-address "${POOL_ADDRESS:-pool:34254}"
      --jds-address "${JDS_ADDRESS:-jds:34264}"
      --pool-authority-pubkey "${POOL_AUTHORITY_PUBKEY:-data/keys/pool-authority.pub}"
      --user-identity "${JDC_USER_IDENTITY:-strata-jdc}"
    )
    [[ -n "$payout" ]] && extra+=(--coinbase-reward-script "$payout")
    strata jdc -c config/jdc.toml "${extra[@]}" "$@"
    ;;
  jdc-translator)
    # V1 miners mining the JDC's templates: the JDC is its pool, pinned to the
    # JDC's key; the JDC knows no accounts.
    strata translator -c config/translator.toml --upstream "${JDC_ADDRESS:-jdc:34265}" \
      --upstream-authority-pubkey data/keys/jdc-authority.pub --verify-accounts false \
      --downstream-port 34266 "$@"
    ;;
  *)
    strata "$role" "$@"
    ;;
esac
