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
    # Run once before tp and pool: creates the authority key pairs that are missing.
    for name in tp-authority pool-authority; do
      if [[ ! -f "data/keys/$name.key" ]]; then
        node dist/src/cli.js keygen --out-dir data/keys --name "$name"
      fi
    done
    ;;
  tp)
    rpc_flags
    strata tp -c config/tp.toml "${RPC[@]}" "$@"
    ;;
  pool)
    rpc_flags
    payout="${POOL_COINBASE_REWARD_SCRIPT:-}"
    [[ -z "$payout" && "$NETWORK" == regtest ]] && payout="$REGTEST_PAYOUT"
    extra=(--tp-address "${TP_ADDRESS:-tp:8442}")
    [[ -n "$payout" ]] && extra+=(--coinbase-reward-script "$payout")
    # Accounts the translator (and demo miners) log in with, in PPLNS mode.
    pool=(node dist/src/cli.js pool)
    node dist/src/cli.js pool --help >/dev/null 2>&1 || pool=(node dist/src/roles/pool/main.js)
    existing="$("${pool[@]}" -c config/pool.toml "${RPC[@]}" "${extra[@]}" account list --json)"
    for name in ${POOL_ACCOUNTS-strata-translator}; do
      grep -qF "\"name\":\"$name\"" <<<"$existing" ||
        "${pool[@]}" -c config/pool.toml "${RPC[@]}" "${extra[@]}" account add "$name"
    done
    strata pool -c config/pool.toml "${RPC[@]}" "${extra[@]}" "$@"
    ;;
  translator)
    strata translator -c config/translator.toml --upstream "${POOL_ADDRESS:-pool:34254}" "$@"
    ;;
  *)
    strata "$role" "$@"
    ;;
esac
