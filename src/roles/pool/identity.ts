// Who a channel mines for, from its user_identity: `account.worker` in PPLNS
// mode, `address[.worker]` in solo mode. The worker defaults to "default".
import { addressToScript, type Network } from '../../bitcoin/index.js';

export const DEFAULT_WORKER = 'default';

export interface Identity {
  account: string;
  worker: string;
}

/** Splits at the first dot; an empty worker part means the default worker. */
export function parseIdentity(user_identity: string): Identity {
  const dot = user_identity.indexOf('.');
  if (dot < 0) return { account: user_identity, worker: DEFAULT_WORKER };
  const worker = user_identity.slice(dot + 1);
  return { account: user_identity.slice(0, dot), worker: worker === '' ? DEFAULT_WORKER : worker };
}

/** The output script of an address of `network`, or null when it is not one. */
export function scriptOfAddress(address: string, network: Network): Uint8Array | null {
  try {
    return addressToScript(address, network);
  } catch {
    return null;
  }
}

/**
 * The pool's payout script from config: an address of the network, or the
 * output descriptor form `addr(<address>)`. Throws with a clear message.
 */
export function parseRewardScript(value: string, network: Network): Uint8Array {
  const m = /^addr\((.*)\)$/.exec(value.trim());
  const address = m ? m[1]!.trim() : value.trim();
  const script = scriptOfAddress(address, network);
  if (script === null) {
    throw new Error(
      `coinbase_reward_script "${value}" is not an address of ${network.name} (nor addr(<address>))`,
    );
  }
  return script;
}
