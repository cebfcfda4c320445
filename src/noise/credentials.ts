// A responder's long-lived identity: one static key and the authority's
// certificate over it, shared by every handshake until half of the
// certificate's validity has passed, then replaced by a fresh pair. The spec
// lets the static key outlive a connection; signing once per window instead
// of once per handshake takes a BIP340 signature and a key generation off
// every handshake. Pure: the clock and randomness are passed in.
import { type SignatureNoiseMessage, encodeSignatureNoiseMessage, signCertificate } from './certificate.js';
import { type EllSwiftKeyPair, type RandomSource, defaultRandom, ellswiftCreate } from './ellswift.js';
import { NoiseError } from './errors.js';

/** Validity the responder gives its certificates unless told otherwise (the reference's default). */
export const DEFAULT_CERT_VALIDITY_SEC = 3600;

export const systemClock = (): number => Math.floor(Date.now() / 1000);

export interface ResponderCredentialsOptions {
  /** 32-byte authority secret key that signs the certificates. */
  authoritySecretKey: Uint8Array;
  /** Lifetime written into each certificate; a new one is made after half of it. */
  certValiditySec?: number;
  /** A fixed static secret (only the certificate is renewed); a fresh one per window when omitted. */
  staticSecret?: Uint8Array;
  random?: RandomSource;
  /** Unix time in seconds. */
  now?: () => number;
}

export interface ResponderIdentity {
  /** The static key pair (its encoding is what act 2 carries encrypted). */
  static: EllSwiftKeyPair;
  certificate: SignatureNoiseMessage;
  /** The certificate as the 74-byte SIGNATURE_NOISE_MESSAGE. */
  encodedCertificate: Uint8Array;
}

export class ResponderCredentials {
  readonly #authority: Uint8Array;
  readonly #validity: number;
  readonly #staticSecret: Uint8Array | undefined;
  readonly #random: RandomSource;
  readonly #now: () => number;
  #current: ResponderIdentity | undefined;
  #renewAt = 0;
  #issuedAt = 0;
  #issued = 0;

  constructor(opts: ResponderCredentialsOptions) {
    if (opts.authoritySecretKey.length !== 32)
      throw new NoiseError('key', 'authority secret key must be 32 bytes');
    const validity = opts.certValiditySec ?? DEFAULT_CERT_VALIDITY_SEC;
    if (!Number.isInteger(validity) || validity < 0)
      throw new NoiseError(
        'certificate',
        `certificate validity must be a whole number of seconds, got ${validity}`,
      );
    this.#authority = Uint8Array.from(opts.authoritySecretKey);
    this.#validity = validity;
    this.#staticSecret = opts.staticSecret;
    this.#random = opts.random ?? defaultRandom;
    this.#now = opts.now ?? systemClock;
  }

  get certValiditySec(): number {
    return this.#validity;
  }

  /** How many static key + certificate pairs have been made so far. */
  get issued(): number {
    return this.#issued;
  }

  /**
   * The identity to present now: the current one while less than half of its
   * validity has passed (and the clock has not gone back before it was
   * issued), otherwise a new one.
   */
  current(): ResponderIdentity {
    const now = this.#now();
    if (this.#current === undefined || now >= this.#renewAt || now < this.#issuedAt) {
      const s = ellswiftCreate(this.#staticSecret, this.#random);
      const certificate = signCertificate(
        this.#authority,
        s.xonly,
        now,
        now + this.#validity,
        this.#random(32),
      );
      this.#current = {
        static: s,
        certificate,
        encodedCertificate: encodeSignatureNoiseMessage(certificate),
      };
      this.#issuedAt = now;
      this.#renewAt = now + Math.floor(this.#validity / 2);
      this.#issued++;
    }
    return this.#current;
  }
}
