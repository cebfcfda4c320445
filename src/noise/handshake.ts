// Noise NX handshake of spec 4.5 as two pure state machines. Act 1 (initiator →
// responder) is the 64-byte ephemeral key; act 2 (responder → initiator) is
// 64 + 80 + 90 = 234 bytes: ephemeral key, encrypted static key, encrypted
// SIGNATURE_NOISE_MESSAGE. Keys, randomness and the clock are injectable.
import { type Aead, defaultAead, TAG_LENGTH } from './aead.js';
import {
  type SignatureNoiseMessage,
  DEFAULT_CLOCK_SKEW_SEC,
  SIGNATURE_NOISE_MESSAGE_SIZE,
  decodeSignatureNoiseMessage,
  encodeSignatureNoiseMessage,
  signCertificate,
  verifyCertificate,
} from './certificate.js';
import { CipherState } from './cipher-state.js';
import {
  type ResponderIdentity,
  DEFAULT_CERT_VALIDITY_SEC,
  type ResponderCredentials,
  systemClock,
} from './credentials.js';
import {
  type EllSwiftKeyPair,
  type RandomSource,
  EcdhPeer,
  defaultRandom,
  ellswiftCreate,
  ellswiftDecodeXonly,
  v2EcdhHash,
} from './ellswift.js';
import { NoiseError } from './errors.js';
import { SymmetricState } from './symmetric.js';

export const ACT1_SIZE = 64;
export const ACT2_SIZE = 64 + 64 + TAG_LENGTH + SIGNATURE_NOISE_MESSAGE_SIZE + TAG_LENGTH;
const EMPTY = new Uint8Array(0);

export interface TransportKeys {
  /** Encrypts what this side sends. */
  send: CipherState;
  /** Decrypts what this side receives. */
  recv: CipherState;
  /** Final handshake hash h (binds the whole transcript). */
  handshakeHash: Uint8Array;
}

export interface InitiatorResult extends TransportKeys {
  /** The responder's static key, x-only, as the certificate names it. */
  remoteStaticXonly: Uint8Array;
  certificate: SignatureNoiseMessage;
}

export interface InitiatorOptions {
  /**
   * The authority x-only public key (32 bytes) that must have signed the
   * responder's certificate; null skips the check (encrypted but
   * unauthenticated — only for callers that explicitly accept that).
   */
  authorityPublicKey: Uint8Array | null;
  ephemeralSecret?: Uint8Array;
  random?: RandomSource;
  /** Unix time in seconds. */
  now?: () => number;
  clockSkewSec?: number;
  aead?: Aead;
}

export class NoiseInitiator {
  readonly #opts: InitiatorOptions;
  readonly #ss: SymmetricState;
  #e: EllSwiftKeyPair | undefined;
  #state: 'start' | 'sent' | 'done' | 'failed' = 'start';

  constructor(opts: InitiatorOptions) {
    if (opts.authorityPublicKey !== null && opts.authorityPublicKey.length !== 32) {
      throw new NoiseError('key', 'authority public key must be 32 bytes x-only');
    }
    this.#opts = opts;
    this.#ss = new SymmetricState(opts.aead ?? defaultAead);
  }

  /** `-> e`: returns the 64-byte act 1. */
  act1(): Uint8Array {
    if (this.#state !== 'start') throw new NoiseError('state', 'act1 already written');
    const random = this.#opts.random ?? defaultRandom;
    this.#e = ellswiftCreate(this.#opts.ephemeralSecret, random);
    this.#ss.mixHash(this.#e.ellswift);
    // EncryptAndHash of the empty payload with no key yet: hashes the empty string.
    this.#ss.encryptAndHash(EMPTY);
    this.#state = 'sent';
    return Uint8Array.from(this.#e.ellswift);
  }

  /** `<- e, ee, s, es, SIGNATURE_NOISE_MESSAGE`: verifies act 2 and returns the transport keys. */
  readAct2(message: Uint8Array): InitiatorResult {
    if (this.#state !== 'sent' || this.#e === undefined)
      throw new NoiseError('state', 'readAct2 before act1');
    this.#state = 'failed';
    if (message.length !== ACT2_SIZE) {
      throw new NoiseError('length', `handshake act 2 must be ${ACT2_SIZE} bytes, got ${message.length}`);
    }
    const e = this.#e;
    const ss = this.#ss;
    const re = message.subarray(0, 64);
    ss.mixHash(re);
    ss.mixKey(v2EcdhHash(e.key.sharedXonly(ellswiftDecodeXonly(re)), e.ellswift, re, true));
    const rs = ss.decryptAndHash(message.subarray(64, 64 + 64 + TAG_LENGTH));
    // Decoded once: the ECDH input and the key the certificate names.
    const remoteStaticXonly = ellswiftDecodeXonly(rs);
    ss.mixKey(v2EcdhHash(e.key.sharedXonly(remoteStaticXonly), e.ellswift, rs, true));
    const certificate = decodeSignatureNoiseMessage(
      ss.decryptAndHash(message.subarray(64 + 64 + TAG_LENGTH)),
    );
    if (this.#opts.authorityPublicKey !== null) {
      const now = (this.#opts.now ?? systemClock)();
      verifyCertificate(
        certificate,
        remoteStaticXonly,
        this.#opts.authorityPublicKey,
        now,
        this.#opts.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC,
      );
    }
    const [c1, c2] = ss.split();
    const handshakeHash = ss.h;
    e.secret.fill(0);
    this.#e = undefined;
    this.#state = 'done';
    return { send: c1, recv: c2, handshakeHash, remoteStaticXonly, certificate };
  }
}

export interface ResponderOptions {
  /** 32-byte authority secret key that signs this responder's certificates. */
  authoritySecretKey: Uint8Array;
  /**
   * The static key and certificate to present, shared across handshakes
   * (what a server uses). Without it, each handshake makes its own from the
   * options below: `staticSecret` (a fresh one when omitted), `now`,
   * `certValiditySec`.
   */
  credentials?: ResponderCredentials;
  /** Static secret for a handshake without `credentials`; a fresh one when omitted. */
  staticSecret?: Uint8Array;
  ephemeralSecret?: Uint8Array;
  random?: RandomSource;
  now?: () => number;
  certValiditySec?: number;
  aead?: Aead;
}

export class NoiseResponder {
  readonly #opts: ResponderOptions;
  readonly #ss: SymmetricState;
  #re: Uint8Array | undefined;
  #state: 'start' | 'read' | 'done' | 'failed' = 'start';
  #keys: TransportKeys | undefined;

  constructor(opts: ResponderOptions) {
    if (opts.authoritySecretKey.length !== 32)
      throw new NoiseError('key', 'authority secret key must be 32 bytes');
    this.#opts = opts;
    this.#ss = new SymmetricState(opts.aead ?? defaultAead);
  }

  /** Reads the initiator's 64-byte act 1. */
  readAct1(message: Uint8Array): void {
    if (this.#state !== 'start') throw new NoiseError('state', 'act 1 already read');
    this.#state = 'failed';
    if (message.length !== ACT1_SIZE) {
      throw new NoiseError('length', `handshake act 1 must be ${ACT1_SIZE} bytes, got ${message.length}`);
    }
    this.#re = Uint8Array.from(message);
    this.#ss.mixHash(this.#re);
    this.#ss.decryptAndHash(EMPTY);
    this.#state = 'read';
  }

  /** Writes the 234-byte act 2; the transport keys are then available from `keys`. */
  writeAct2(): Uint8Array {
    if (this.#state !== 'read' || this.#re === undefined)
      throw new NoiseError('state', 'writeAct2 before readAct1');
    this.#state = 'failed';
    const random = this.#opts.random ?? defaultRandom;
    const re = this.#re;
    const ss = this.#ss;
    const e = ellswiftCreate(this.#opts.ephemeralSecret, random);
    const id: ResponderIdentity = this.#opts.credentials?.current() ?? this.#oneTimeIdentity(random);
    const s = id.static;
    // The initiator's key is decoded and loaded once for both ECDHs.
    const reX = new EcdhPeer(ellswiftDecodeXonly(re));
    const out = new Uint8Array(ACT2_SIZE);
    out.set(e.ellswift, 0);
    ss.mixHash(e.ellswift);
    ss.mixKey(v2EcdhHash(e.key.sharedXonly(reX), e.ellswift, re, false));
    out.set(ss.encryptAndHash(s.ellswift), 64);
    ss.mixKey(v2EcdhHash(s.key.sharedXonly(reX), s.ellswift, re, false));
    out.set(ss.encryptAndHash(id.encodedCertificate), 64 + 64 + TAG_LENGTH);
    const [c1, c2] = ss.split();
    this.#keys = { send: c2, recv: c1, handshakeHash: ss.h };
    e.secret.fill(0);
    // A shared static key lives on for the next handshakes; a one-time one is wiped.
    if (this.#opts.credentials === undefined) s.secret.fill(0);
    this.#state = 'done';
    return out;
  }

  #oneTimeIdentity(random: RandomSource): ResponderIdentity {
    const s = ellswiftCreate(this.#opts.staticSecret, random);
    const now = (this.#opts.now ?? systemClock)();
    const validity = this.#opts.certValiditySec ?? DEFAULT_CERT_VALIDITY_SEC;
    const certificate = signCertificate(
      this.#opts.authoritySecretKey,
      s.xonly,
      now,
      now + validity,
      random(32),
    );
    return { static: s, certificate, encodedCertificate: encodeSignatureNoiseMessage(certificate) };
  }

  get keys(): TransportKeys {
    if (this.#keys === undefined) throw new NoiseError('state', 'handshake not finished');
    return this.#keys;
  }
}
