// The JDC's connection to a Job Declarator Server (spec 6): SetupConnection
// for the Job Declaration Protocol (DECLARE_TX_DATA in full-template mode),
// a small stock of mining job tokens kept topped up, DeclareMiningJob with
// its ProvideMissingTransactions round, and PushSolution.
import { EventEmitter } from 'node:events';
import { parseOutputs, type TxOutput } from '../../bitcoin/index.js';
import type { ClientSecurity } from '../../net/client.js';
import { type Logger, silentLogger } from '../../net/logger.js';
import {
  JOB_DECLARATION_SETUP_FLAGS,
  PROTOCOL,
  type Message,
  type MessageByName,
} from '../../messages/index.js';
import { connectSv2, type Sv2Client } from '../common/sv2-client.js';
import type { JdMode } from './config.js';

type Msg<N extends Message['type']> = MessageByName<N>;

export interface AllocatedToken {
  token: Uint8Array;
  /** AllocateMiningJobToken.Success.coinbase_tx_outputs as sent (CompactSize count first). */
  outputsBytes: Uint8Array;
  /** The same, parsed: the first is the pool payout output. */
  outputs: TxOutput[];
}

export interface DeclareInput {
  mining_job_token: Uint8Array;
  version: number;
  coinbase_tx_prefix: Uint8Array;
  coinbase_tx_suffix: Uint8Array;
  wtxid_list: Uint8Array[];
  excess_data: Uint8Array;
  /** The full transactions at the given positions of wtxid_list (ProvideMissingTransactions). */
  transactions(positions: readonly number[]): Uint8Array[];
}

export type DeclareResult =
  { ok: true; token: Uint8Array } | { ok: false; error_code: string; details: string };

export interface JdsClientOptions {
  host: string;
  port: number;
  security: ClientSecurity;
  mode: JdMode;
  /** AllocateMiningJobToken.user_identifier. */
  user: string;
  /** Tokens kept in stock (default 2). */
  stock?: number;
  /** How long a token or a declaration may take (default 10 s). */
  timeoutMs?: number;
  logger?: Logger;
}

export interface JdsClientEvents {
  closed: [reason: string];
}

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const MAX_STOCK = 8;

export class JdsClient extends EventEmitter<JdsClientEvents> {
  readonly #c: Sv2Client;
  readonly #o: JdsClientOptions;
  readonly #log: Logger;
  #requestId = 0;
  readonly #stock: AllocatedToken[] = [];
  /** AllocateMiningJobToken requests in flight. */
  readonly #allocating = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #tokenWaiters: Waiter<AllocatedToken>[] = [];
  readonly #declares = new Map<number, Waiter<DeclareResult> & { input: DeclareInput }>();
  #closeReason: string | undefined;
  readonly closed: Promise<string>;

  private constructor(c: Sv2Client, o: JdsClientOptions) {
    super();
    this.#c = c;
    this.#o = o;
    this.#log = o.logger ?? silentLogger;
    this.closed = c
      .run((m) => this.#dispatch(m))
      .then((reason) => {
        this.#closeReason = reason;
        const err = new Error(`JDS connection closed: ${reason}`);
        for (const w of this.#tokenWaiters.splice(0)) this.#fail(w, err);
        for (const w of this.#declares.values()) this.#fail(w, err);
        this.#declares.clear();
        for (const t of this.#allocating.values()) clearTimeout(t);
        this.#allocating.clear();
        this.emit('closed', reason);
        return reason;
      });
    this.#topUp();
  }

  /** Connects and sets up; throws when either fails. */
  static async connect(o: JdsClientOptions): Promise<JdsClient> {
    const c = await connectSv2({
      host: o.host,
      port: o.port,
      security: o.security,
      protocol: PROTOCOL.JOB_DECLARATION,
      flags: o.mode === 'full-template' ? JOB_DECLARATION_SETUP_FLAGS.DECLARE_TX_DATA : 0,
      firmware: 'strata-jdc',
      logger: o.logger,
    });
    return new JdsClient(c, o);
  }

  get isClosed(): boolean {
    return this.#closeReason !== undefined;
  }

  get #timeoutMs(): number {
    return this.#o.timeoutMs ?? 10_000;
  }

  close(reason: string): void {
    this.#c.conn.close(reason);
  }

  /** A token from the stock (waits for one when empty); rejects after the timeout or on close. */
  token(): Promise<AllocatedToken> {
    if (this.isClosed) return Promise.reject(new Error(`JDS connection closed: ${this.#closeReason}`));
    const have = this.#stock.shift();
    this.#topUp();
    if (have !== undefined) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<AllocatedToken> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#tokenWaiters.indexOf(waiter);
          if (i >= 0) this.#tokenWaiters.splice(i, 1);
          reject(new Error(`no mining job token within ${this.#timeoutMs} ms`));
        }, this.#timeoutMs),
      };
      this.#tokenWaiters.push(waiter);
    });
  }

  /** DeclareMiningJob (answering ProvideMissingTransactions from `input`); resolves with the verdict. */
  declare(input: DeclareInput): Promise<DeclareResult> {
    if (this.isClosed) return Promise.reject(new Error(`JDS connection closed: ${this.#closeReason}`));
    const request_id = ++this.#requestId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#declares.delete(request_id);
        reject(new Error(`no answer to DeclareMiningJob within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#declares.set(request_id, { resolve, reject, timer, input });
      this.#c.send({
        type: 'DeclareMiningJob',
        request_id,
        mining_job_token: input.mining_job_token,
        version: input.version,
        coinbase_tx_prefix: input.coinbase_tx_prefix,
        coinbase_tx_suffix: input.coinbase_tx_suffix,
        wtxid_list: input.wtxid_list,
        excess_data: input.excess_data,
      });
    });
  }

  pushSolution(m: Omit<Msg<'PushSolution'>, 'type'>): void {
    this.#c.send({ type: 'PushSolution', ...m });
  }

  #topUp(): void {
    const want = Math.min(MAX_STOCK, this.#o.stock ?? 2) + this.#tokenWaiters.length;
    while (!this.isClosed && this.#stock.length + this.#allocating.size < want) {
      const request_id = ++this.#requestId;
      // A JDS that rate-limits leaves a request unanswered: it is retried after the timeout.
      this.#allocating.set(
        request_id,
        setTimeout(() => {
          this.#allocating.delete(request_id);
          this.#topUp();
        }, this.#timeoutMs),
      );
      this.#c.send({ type: 'AllocateMiningJobToken', user_identifier: this.#o.user, request_id });
    }
  }

  #dispatch(m: Message): void {
    switch (m.type) {
      case 'AllocateMiningJobTokenSuccess': {
        const timer = this.#allocating.get(m.request_id);
        if (timer === undefined) return;
        clearTimeout(timer);
        this.#allocating.delete(m.request_id);
        let outputs: TxOutput[];
        try {
          outputs = parseOutputs(m.coinbase_tx_outputs);
        } catch (err) {
          this.#log.error({ err: (err as Error).message }, 'JDS sent unusable coinbase outputs; closing');
          this.close('unusable coinbase outputs');
          return;
        }
        if (outputs.length === 0) {
          this.#log.error({}, 'JDS sent no pool payout output; closing');
          this.close('no pool payout output');
          return;
        }
        const token = { token: m.mining_job_token, outputsBytes: m.coinbase_tx_outputs, outputs };
        const waiter = this.#tokenWaiters.shift();
        if (waiter !== undefined) {
          clearTimeout(waiter.timer);
          waiter.resolve(token);
        } else {
          this.#stock.push(token);
        }
        this.#topUp();
        return;
      }
      case 'ProvideMissingTransactions': {
        const d = this.#declares.get(m.request_id);
        if (d === undefined) return;
        let transaction_list: Uint8Array[];
        try {
          transaction_list = d.input.transactions(m.unknown_tx_position_list);
        } catch (err) {
          this.#settle(m.request_id, {
            ok: false,
            error_code: 'missing-transactions',
            details: `cannot provide them: ${(err as Error).message}`,
          });
          return;
        }
        this.#c.send({
          type: 'ProvideMissingTransactionsSuccess',
          request_id: m.request_id,
          transaction_list,
        });
        return;
      }
      case 'DeclareMiningJobSuccess':
        return this.#settle(m.request_id, { ok: true, token: m.new_mining_job_token });
      case 'DeclareMiningJobError':
        return this.#settle(m.request_id, {
          ok: false,
          error_code: m.error_code,
          details: Buffer.from(m.error_details).toString('utf8').slice(0, 200),
        });
      default:
        this.#log.info({ message: m.type }, 'unexpected message from the JDS ignored');
    }
  }

  #settle(request_id: number, r: DeclareResult): void {
    const d = this.#declares.get(request_id);
    if (d === undefined) return;
    this.#declares.delete(request_id);
    clearTimeout(d.timer);
    d.resolve(r);
  }

  #fail<T>(w: Waiter<T>, err: Error): void {
    clearTimeout(w.timer);
    w.reject(err);
  }
}
