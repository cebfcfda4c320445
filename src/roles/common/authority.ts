// Authority keys from config values: a server's key pair (it signs each
// connection's Noise certificate) and a client's pinned upstream key. A value
// is the base58check key string itself or the path of a file holding it.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { makeField, mismatch, type Common, type Field } from '../../config/fields.js';
import type { ClientSecurity } from '../../net/client.js';
import { authorityPublicKeyOf, encodeAuthorityPublicKey } from '../../noise/keys.js';
import { loadAuthorityPublicKey, loadAuthoritySecretKey } from '../keygen.js';

const KEY_TEXT = /^[1-9A-HJ-NP-Za-km-z]{40,60}$/;

/**
 * Config kind for "key string or file path": key strings are kept as they are,
 * relative paths are resolved against the config file's directory (like the
 * `path` kind), so the same value works from any working directory.
 */
export function keyOrPath<const O extends Common<string>>(opts: O): Field<string> {
  return makeField<string>(
    'string',
    'an authority key string or the path of a file holding one',
    (raw, key, ctx) => {
      if (typeof raw !== 'string') return mismatch(ctx, key, 'an authority key string or a file path', raw);
      const v = raw.trim();
      if (v === '' || KEY_TEXT.test(v) || isAbsolute(v)) return v;
      return resolve(ctx.baseDirFor(key), v);
    },
    opts,
  );
}

export interface ServerAuthority {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  /** The public key string clients pin (spec 4.7 form). */
  publicKeyText: string;
}

/**
 * Loads a server's authority key pair. The public key follows from the secret
 * key; a configured public key (string, or a file that exists) must belong to
 * it, so a mismatched pair fails at start rather than at every client's
 * handshake. A public key file that does not exist is not needed.
 */
export function loadServerAuthority(secretValue: string, publicValue?: string): ServerAuthority {
  if (secretValue.trim() === '') throw new Error('authority_secret_key is not set');
  const secretKey = loadAuthoritySecretKey(secretValue);
  const publicKey = authorityPublicKeyOf(secretKey);
  const pub = publicValue?.trim() ?? '';
  if (pub !== '' && (KEY_TEXT.test(pub) || existsSync(pub))) {
    const configured = loadAuthorityPublicKey(pub);
    if (!equal(configured, publicKey)) {
      throw new Error(
        `authority_public_key (${encodeAuthorityPublicKey(configured)}) does not belong to authority_secret_key ` +
          `(whose public key is ${encodeAuthorityPublicKey(publicKey)})`,
      );
    }
  }
  return { secretKey, publicKey, publicKeyText: encodeAuthorityPublicKey(publicKey) };
}

/** How a client secures its upstream connection. */
export type UpstreamMode = 'noise' | 'noise-unauthenticated' | 'plain';

/**
 * The client security for an upstream: Noise pinned to `authority_public_key`
 * by default; without certificate checks or without Noise only when the
 * operator asked for it explicitly.
 */
export function upstreamSecurity(mode: UpstreamMode, publicValue: string | undefined): ClientSecurity {
  if (mode === 'plain') return { kind: 'plain' };
  if (mode === 'noise-unauthenticated') return { kind: 'noise', authorityPublicKey: null };
  if (publicValue === undefined || publicValue.trim() === '') {
    throw new Error(
      'the upstream authority public key is not set: pin it, or choose an unauthenticated connection explicitly',
    );
  }
  return { kind: 'noise', authorityPublicKey: loadAuthorityPublicKey(publicValue) };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
