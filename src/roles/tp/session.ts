// One TDP client connection, as the spec orders it: SetupConnection (protocol
// 2, version 2) → CoinbaseOutputConstraints → serving templates, answering
// RequestTransactionData and taking SubmitSolution. Anything out of order is
// logged and ends the connection; the process keeps serving everyone else.
import type { Logger } from '../../log.js';
import type { FramedConnection } from '../../net/connection.js';
import {
  PROTOCOL,
  PROTOCOL_VERSION,
  decodePayload,
  encodeFrame,
  type Message,
  type MessageByName,
} from '../../messages/index.js';
import type { CoinbaseConstraints, SubmitSolutionMsg } from '../common/tdp-client.js';

export type SessionState = 'awaiting-setup' | 'awaiting-constraints' | 'serving' | 'closed';

/** What a session needs from the provider. */
export interface SessionHost {
  /** The client (re)declared its constraints: send it a future template and SetNewPrevHash. */
  onConstraints(session: TdpSession): void;
  transactionData(
    template_id: bigint,
  ): MessageByName<'RequestTransactionDataSuccess'> | MessageByName<'RequestTransactionDataError'>;
  submitSolution(session: TdpSession, msg: SubmitSolutionMsg): Promise<void>;
  /** Whether the constraints can be honoured; a problem text otherwise. */
  constraintsProblem(c: CoinbaseConstraints): string | undefined;
  onClose(session: TdpSession): void;
}

export function constraintsKey(c: CoinbaseConstraints): string {
  return `${c.coinbase_output_max_additional_size}/${c.coinbase_output_max_additional_sigops}`;
}

export class TdpSession {
  readonly peer: string;
  #state: SessionState = 'awaiting-setup';
  #constraints: CoinbaseConstraints | undefined;
  readonly #conn: FramedConnection;
  readonly #host: SessionHost;
  readonly #log: Logger;

  constructor(conn: FramedConnection, host: SessionHost, logger: Logger) {
    this.#conn = conn;
    this.#host = host;
    this.peer = `${conn.remoteAddress}:${conn.remotePort}`;
    this.#log = logger.child({ peer: this.peer });
    void this.#run();
  }

  get state(): SessionState {
    return this.#state;
  }

  get constraints(): CoinbaseConstraints | undefined {
    return this.#constraints;
  }

  get key(): string | undefined {
    return this.#constraints === undefined ? undefined : constraintsKey(this.#constraints);
  }

  /** Sends a message; returns false if it could not be encoded. A failing connection is logged, never thrown. */
  send(msg: Message): boolean {
    if (this.#conn.isClosed) return true;
    let frame: Uint8Array;
    try {
      frame = encodeFrame(msg);
    } catch (err) {
      this.#log.error({ message: msg.type, err: (err as Error).message }, 'cannot encode message');
      return false;
    }
    this.#conn.send(frame).catch(() => {
      // The close itself is logged by the connection.
    });
    return true;
  }

  close(reason: string): void {
    this.#conn.close(reason);
  }

  async #run(): Promise<void> {
    try {
      for await (const frame of this.#conn) {
        const r = decodePayload(frame.header, frame.payload);
        if (!r.ok) {
          if (r.disposition === 'reject') {
            this.#log.warn({ err: r.error.message }, 'malformed message; closing');
            this.#conn.abort(`malformed message: ${r.error.message}`);
            break;
          }
          this.#log.debug({ err: r.error.message }, 'message of an unknown extension ignored');
          continue;
        }
        this.#handle(r.message);
        if (this.#state === 'closed') break;
      }
    } catch (err) {
      this.#log.error({ err: err instanceof Error ? err.message : String(err) }, 'session failed');
      this.#conn.abort('internal error');
    } finally {
      this.#state = 'closed';
      this.#host.onClose(this);
    }
  }

  #handle(m: Message): void {
    switch (this.#state) {
      case 'awaiting-setup':
        if (m.type !== 'SetupConnection') return this.#outOfOrder(m, 'SetupConnection');
        return this.#setup(m);
      case 'awaiting-constraints':
        if (m.type !== 'CoinbaseOutputConstraints') return this.#outOfOrder(m, 'CoinbaseOutputConstraints');
        return this.#setConstraints(m);
      case 'serving':
        switch (m.type) {
          case 'CoinbaseOutputConstraints':
            return this.#setConstraints(m);
          case 'RequestTransactionData': {
            // A template too large for the message's limits still gets an answer.
            if (!this.send(this.#host.transactionData(m.template_id))) {
              const error_code = 'transaction-data-too-large';
              this.send({ type: 'RequestTransactionDataError', template_id: m.template_id, error_code });
            }
            return;
          }
          case 'SubmitSolution':
            void this.#host.submitSolution(this, m);
            return;
          default:
            this.#log.warn({ message: m.type }, 'unexpected message from a TDP client ignored');
            return;
        }
      default:
        return;
    }
  }

  #outOfOrder(m: Message, expected: string): void {
    this.#log.warn({ message: m.type, expected }, `expected ${expected} first; closing`);
    this.#state = 'closed';
    this.#conn.close(`sent ${m.type} before ${expected}`);
  }

  #setup(m: MessageByName<'SetupConnection'>): void {
    let error_code: string | undefined;
    if (m.protocol !== PROTOCOL.TEMPLATE_DISTRIBUTION) error_code = 'unsupported-protocol';
    else if (m.min_version > PROTOCOL_VERSION || m.max_version < PROTOCOL_VERSION)
      error_code = 'protocol-version-mismatch';
    if (error_code !== undefined) {
      this.#log.warn(
        { error_code, protocol: m.protocol, min_version: m.min_version, max_version: m.max_version },
        'SetupConnection refused',
      );
      // flags 0: the refusal is not about feature flags (TDP defines none).
      this.send({ type: 'SetupConnectionError', flags: 0, error_code });
      this.#state = 'closed';
      this.#conn.close(`SetupConnection refused: ${error_code}`);
      return;
    }
    // Template Distribution defines no flags: none are echoed as supported.
    this.send({ type: 'SetupConnectionSuccess', used_version: PROTOCOL_VERSION, flags: 0 });
    this.#state = 'awaiting-constraints';
    this.#log.info({ vendor: m.vendor, hardware_version: m.hardware_version }, 'TDP client set up');
  }

  #setConstraints(m: MessageByName<'CoinbaseOutputConstraints'>): void {
    const c: CoinbaseConstraints = {
      coinbase_output_max_additional_size: m.coinbase_output_max_additional_size,
      coinbase_output_max_additional_sigops: m.coinbase_output_max_additional_sigops,
    };
    const problem = this.#host.constraintsProblem(c);
    if (problem !== undefined) {
      this.#log.warn({ ...c, problem }, 'CoinbaseOutputConstraints cannot be honoured; closing');
      this.#state = 'closed';
      this.#conn.close(`invalid CoinbaseOutputConstraints: ${problem}`);
      return;
    }
    this.#constraints = c;
    this.#state = 'serving';
    this.#log.info(c, 'CoinbaseOutputConstraints received');
    this.#host.onConstraints(this);
  }
}
