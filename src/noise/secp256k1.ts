// The handshake's curve operations: scalar multiplication for ECDH and key
// creation, and BIP340 signatures for certificates. They run in
// libsecp256k1 compiled to WebAssembly (tiny-secp256k1): about 4× faster
// per multiplication than node:crypto's OpenSSL secp256k1 and 6–10× faster
// per signature than pure-JS bigint arithmetic (`npm run bench -- noise`),
// with the same results on every platform and no native build.
// ElligatorSwift's field maps stay in ellswift.ts: the library has none.
import * as ecc from 'tiny-secp256k1';

export class CurveError extends Error {
  override readonly name = 'CurveError';
}

/** x coordinate (32 bytes big-endian) of secret × G. The secret must lie in 1..n−1. */
export function publicXonly(secret: Uint8Array): Uint8Array {
  if (!ecc.isPrivate(secret)) throw new CurveError('secret key is not in 1..n-1');
  const point = ecc.pointFromScalar(secret, true);
  if (point === null) throw new CurveError('secret key is not in 1..n-1');
  return point.slice(1, 33);
}

/**
 * A point given by its x coordinate, as the curve library takes it: the
 * compressed form with even y. Either y serves ECDH, since d × (−P) = −(d × P)
 * has the same x. Throws CurveError when no point has this x.
 */
export function pointFromXonly(x: Uint8Array): Uint8Array {
  if (x.length !== 32) throw new CurveError(`x coordinate must be 32 bytes, got ${x.length}`);
  const point = new Uint8Array(33);
  point[0] = 0x02;
  point.set(x, 1);
  if (!ecc.isPointCompressed(point)) throw new CurveError('x coordinate is not on secp256k1');
  return point;
}

/** x coordinate of secret × point (a point from pointFromXonly), 32 bytes big-endian. */
export function multiplyXonly(point: Uint8Array, secret: Uint8Array): Uint8Array {
  let product: Uint8Array | null;
  try {
    product = ecc.pointMultiply(point, secret, true);
  } catch (e) {
    throw new CurveError(`scalar multiplication refused: ${(e as Error).message}`);
  }
  // Infinity: only for a secret ≡ 0 (mod n), which the callers never hold.
  if (product === null) throw new CurveError('scalar multiplication gave the point at infinity');
  const x = product.slice(1, 33);
  product.fill(0);
  return x;
}

/** BIP340 signature of a 32-byte message with auxiliary randomness (32 bytes). */
export function schnorrSign(message: Uint8Array, secret: Uint8Array, auxRand: Uint8Array): Uint8Array {
  try {
    return ecc.signSchnorr(message, secret, auxRand);
  } catch (e) {
    throw new CurveError(`cannot sign: ${(e as Error).message}`);
  }
}

/** BIP340 verification; false for any malformed key or signature instead of an exception. */
export function schnorrVerify(signature: Uint8Array, message: Uint8Array, xonlyKey: Uint8Array): boolean {
  try {
    return ecc.verifySchnorr(message, xonlyKey, signature);
  } catch {
    return false;
  }
}
