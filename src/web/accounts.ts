// Rules for what users type when they sign up or set a payout address.
import { addressToScript, type Network } from '../bitcoin/index.js';

export const ACCOUNT_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const MIN_PASSWORD_LENGTH = 10;

/** True when `address` is an address of `network` (one the pool can pay). */
export function isPayoutAddress(address: string, network: Network): boolean {
  try {
    addressToScript(address, network);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a sign-up name is refused, or undefined when it is fine. PPLNS accounts
 * are short names without "." (miners log in as name.worker); in solo mode
 * the account is the miner's payout address.
 */
export function accountNameProblem(name: string, mode: string, network: Network): string | undefined {
  if (mode === 'solo') {
    return isPayoutAddress(name, network)
      ? undefined
      : `In solo mode the account name must be an address of ${network.name}.`;
  }
  return ACCOUNT_NAME_RE.test(name)
    ? undefined
    : 'Account names are 1 to 64 letters, digits, "-" or "_" (no dots: miners log in as name.worker).';
}
