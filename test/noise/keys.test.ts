import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { base58, createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { vectorPath } from '../helpers/paths.js';
import { hex, toHex } from './csv.js';
import {
  NoiseError,
  authorityPublicKeyOf,
  decodeAuthorityPublicKey,
  decodeAuthoritySecretKey,
  encodeAuthorityPublicKey,
  encodeAuthoritySecretKey,
  generateAuthorityKeyPair,
} from '../../src/noise/index.js';

interface Pair {
  secret_key_base58check: string;
  secret_key_hex: string;
  public_key_base58check: string;
  public_key_xonly_hex: string;
}
interface Group {
  vectors?: { raw_public_key_hex: string; prefixed_base58check: string; unprefixed_base58check: string }[];
  valid_pairs?: Pair[];
  invalid_public_keys?: { public_key_base58check: string; why_invalid: string }[];
  public_keys_without_secret?: {
    public_key_base58check?: string;
    base58check?: string;
    public_key_payload_hex?: string;
    decoded_payload_length?: number;
    is_valid_x_coordinate?: boolean;
  }[];
}
const file = JSON.parse(readFileSync(vectorPath('extracted', 'sv2', 'authority_keys.json'), 'utf8')) as {
  groups: Group[];
};

// The error message our parser gives for each stated reason.
function expectedError(why: string): RegExp {
  if (/checksum/.test(why)) return /bad checksum/;
  if (/version/.test(why)) return /wrong version: 12/;
  if (/33-byte|length/.test(why)) return /wrong length: 33 bytes/;
  throw new Error(`unknown reason ${why}`);
}
const b58check = createBase58check(sha256);
const refuses = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof NoiseError && e.code === 'key' && re.test(e.message));

test('spec 4.7.1 vector encodes and decodes', () => {
  const vectors = file.groups.flatMap((g) => g.vectors ?? []);
  assert.ok(vectors.length > 0);
  for (const v of vectors) {
    assert.equal(encodeAuthorityPublicKey(hex(v.raw_public_key_hex)), v.prefixed_base58check);
    assert.equal(toHex(decodeAuthorityPublicKey(v.prefixed_base58check)), v.raw_public_key_hex);
    refuses(() => decodeAuthorityPublicKey(v.unprefixed_base58check), /wrong length: 32 bytes/);
  }
});

test('every good pair round-trips and the public key derives from the secret', () => {
  const pairs = file.groups.flatMap((g) => g.valid_pairs ?? []);
  assert.ok(pairs.length >= 2);
  for (const p of pairs) {
    const secret = decodeAuthoritySecretKey(p.secret_key_base58check);
    assert.equal(toHex(secret), p.secret_key_hex);
    assert.equal(encodeAuthoritySecretKey(secret), p.secret_key_base58check);
    const pub = decodeAuthorityPublicKey(p.public_key_base58check);
    assert.equal(toHex(pub), p.public_key_xonly_hex);
    assert.deepEqual(authorityPublicKeyOf(secret), pub);
    assert.equal(encodeAuthorityPublicKey(pub), p.public_key_base58check);
  }
});

test('every bad public key is refused with the stated reason', () => {
  const bad = file.groups.flatMap((g) => g.invalid_public_keys ?? []);
  assert.ok(bad.length >= 3);
  for (const b of bad)
    refuses(() => decodeAuthorityPublicKey(b.public_key_base58check), expectedError(b.why_invalid));
});

test('keys without a secret: current-format keys parse, old unprefixed ones are refused', () => {
  for (const k of file.groups.flatMap((g) => g.public_keys_without_secret ?? [])) {
    if (k.public_key_base58check !== undefined) {
      assert.equal(
        toHex(decodeAuthorityPublicKey(k.public_key_base58check)),
        k.public_key_payload_hex!.slice(4),
      );
    } else {
      refuses(
        () => decodeAuthorityPublicKey(k.base58check!),
        new RegExp(`wrong length: ${k.decoded_payload_length} bytes`),
      );
    }
  }
});

test('other malformed strings: not base58, not a valid x, a public key given as secret', () => {
  refuses(() => decodeAuthorityPublicKey('0OIl'), /not base58/);
  // The old JDC key's 32 bytes are not the x of any point: wrapped in the current format they must still fail.
  const notOnCurve = file.groups
    .flatMap((g) => g.public_keys_without_secret ?? [])
    .find((k) => k.is_valid_x_coordinate === false && k.base58check !== undefined);
  assert.ok(notOnCurve);
  const prefixed = new Uint8Array(34);
  prefixed.set([1, 0]);
  prefixed.set(b58check.decode(notOnCurve.base58check!), 2);
  refuses(() => decodeAuthorityPublicKey(b58check.encode(prefixed)), /not a valid x coordinate/);
  refuses(
    () => decodeAuthoritySecretKey(encodeAuthorityPublicKey(generateAuthorityKeyPair().publicKey)),
    /wrong length: 34/,
  );
});

test('@scure/base base58check appends the first 4 bytes of double SHA-256', () => {
  const payload = Uint8Array.of(1, 2, 3);
  const raw = base58.decode(b58check.encode(payload));
  assert.deepEqual(raw.subarray(0, 3), payload);
  assert.deepEqual(raw.subarray(3), sha256(sha256(payload)).subarray(0, 4));
});

test('the keys in the sv2-apps example configs parse', () => {
  const root = vectorPath('sv2-apps');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.toml')) files.push(join(dir, e.name));
    }
  };
  walk(root);
  assert.ok(files.length >= 6);
  let pubs = 0;
  let secrets = 0;
  const visit = (v: unknown) => {
    if (v === null || typeof v !== 'object') return;
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (typeof val === 'string' && /authority_(public_key|pubkey)$/.test(k)) {
        decodeAuthorityPublicKey(val);
        pubs++;
      } else if (typeof val === 'string' && /authority_secret_key$/.test(k)) {
        decodeAuthoritySecretKey(val);
        secrets++;
      } else visit(val);
    }
  };
  for (const f of files) visit(parse(readFileSync(f, 'utf8')));
  assert.ok(pubs >= 6 && secrets >= 4, `${pubs} public, ${secrets} secret`);
});
