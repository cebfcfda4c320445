// One job declarator client connection, as spec 6 orders it: SetupConnection
// (Job Declaration protocol; DECLARE_TX_DATA = full-template mode, without it
// coinbase-only), then AllocateMiningJobToken, DeclareMiningJob (with
// ProvideMissingTransactions when the server lacks transactions) and
// PushSolution. A malformed message or a token flood ends this connection
// with a log line; the process keeps serving everyone else.
import type { Logger } from '../../log.js';
import type { FramedConnection } from '../../net/connection.js';
import {
  JOB_DECLARATION_SETUP_FLAGS,
  PROTOCOL,
  PROTOCOL_VERSION,
  decodePayload,
  encodeFrame,
  type Message,
  type MessageByName,
} from '../../messages/index.js';
import { TOKEN_KIND } from '../../channels/jd-token.js';
import {
  acceptProvided,
  checkDeclaration,
  finishDeclaration,
  resolveKnown,
  type Declaration,
  type DeclaredJob,
  type DeclaredTx,
  type DeclarePolicy,
} from './declare.js';
import { DeclareRefusal, JDS_ERROR } from './errors.js';
import type { PushSolutionMsg } from './solution.js';
import { ConnectionTokens, type TokenPolicy } from './tokens.js';

export type SessionState = 'awaiting-setup' | 'serving' | 'closed';

/** Declarations waiting for ProvideMissingTransactions.Success per connection. */
export const MAX_PENDING_DECLARATIONS = 4;
/** Declared jobs kept per connection for PushSolution (the spec requires the latest). */
export const KEPT_JOBS = 4;

/** What a session needs from the server. */
export interface SessionHost {
  readonly declarePolicy: DeclarePolicy;
  tokenPolicy(declareTxData: boolean): TokenPolicy;
  /** AllocateMiningJobToken.Success.coinbase_tx_outputs: the pool payout output (value 0), count first. */
  readonly poolOutputs: Uint8Array;
  /** allocatedCommitment(poolOutputs). */
  readonly poolOutputsCommitment: Uint8Array;
  /** A mirror transaction by wtxid key. */
  lookup(key: string): DeclaredTx | undefined;
  /** The height of the node's next block as last seen, or undefined when never seen. */
  nextHeight(): number | undefined;
  /** Asks the node again; undefined when it cannot be reached. */
  refreshNextHeight(): Promise<number | undefined>;
  /** The node's fees (sats) for these txids (internal order), undefined where unknown. */
  feesOf(txids: readonly Uint8Array[]): Promise<(bigint | undefined)[]>;
  submitSolution(session: JdsSession, jobs: readonly DeclaredJob[], msg: PushSolutionMsg): Promise<void>;
  onClose(session: JdsSession): void;
}

export class JdsSession {
  readonly peer: string;
  #state: SessionState = 'awaiting-setup';
  #declareTxData = false;
  #tokens: ConnectionTokens | undefined;
  readonly #pending = new Map<number, Declaration>();
  readonly #jobs: DeclaredJob[] = [];
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

  /** Sends a message; a failing connection is logged by the connection, never thrown. */
  send(msg: Message): void {
    if (this.#conn.isClosed) return;
    let frame: Uint8Array;
    try {
      frame = encodeFrame(msg);
    } catch (err) {
      this.#log.error({ message: msg.type, err: (err as Error).message }, 'cannot encode message');
      return;
    }
    this.#conn.send(frame).catch(() => {});
  }

  close(reason: string): void {
    this.#state = 'closed';
    this.#conn.close(reason);
  }

  async #run(): Promise<void> {
    try {
      for await (const frame of this.#conn) {
        const r = decodePayload(frame.header, frame.payload);
        if (!r.ok) {
          if (r.disposition === 'reject') {
            this.#log.warn(
              { err: r.error.message, code: r.error.code, message: r.error.message_name },
              'malformed message; closing',
            );
            this.#conn.abort(`malformed message: ${r.error.message}`);
            break;
          }
          this.#log.debug({ err: r.error.message }, 'message of an unknown extension ignored');
          continue;
        }
        await this.#handle(r.message);
        if (this.#state === 'closed') break;
      }
    } catch (err) {
      this.#log.error({ err: err instanceof Error ? err.message : String(err) }, 'session failed');
      this.#conn.abort('internal error');
    } finally {
      this.#state = 'closed';
      this.#pending.clear();
      this.#host.onClose(this);
    }
  }

  async #handle(m: Message): Promise<void> {
    if (this.#state === 'awaiting-setup') {
      if (m.type !== 'SetupConnection') {
        this.#log.warn({ message: m.type }, 'expected SetupConnection first; closing');
        this.close(`sent ${m.type} before SetupConnection`);
        return;
      }
      this.#setup(m);
      return;
    }
    switch (m.type) {
      case 'AllocateMiningJobToken':
        return this.#allocate(m);
      case 'DeclareMiningJob':
        return this.#declare(m);
      case 'ProvideMissingTransactionsSuccess':
        return this.#provided(m);
      case 'PushSolution':
        return this.#host.submitSolution(this, [...this.#jobs].reverse(), m);
      default:
        this.#log.warn({ message: m.type }, 'unexpected message from a job declarator client ignored');
    }
  }

  #setup(m: MessageByName<'SetupConnection'>): void {
    let error_code: string | undefined;
    if (m.protocol !== PROTOCOL.JOB_DECLARATION) error_code = 'unsupported-protocol';
    else if (m.min_version > PROTOCOL_VERSION || m.max_version < PROTOCOL_VERSION)
      error_code = 'protocol-version-mismatch';
    if (error_code !== undefined) {
      this.#log.warn(
        { error_code, protocol: m.protocol, min_version: m.min_version, max_version: m.max_version },
        'SetupConnection refused',
      );
      this.send({ type: 'SetupConnectionError', flags: 0, error_code });
      this.close(`SetupConnection refused: ${error_code}`);
      return;
    }
    this.#declareTxData = (m.flags & JOB_DECLARATION_SETUP_FLAGS.DECLARE_TX_DATA) !== 0;
    this.#tokens = new ConnectionTokens(this.#host.tokenPolicy(this.#declareTxData), Date.now());
    // The spec defines no SetupConnection.Success flags for Job Declaration.
    this.send({ type: 'SetupConnectionSuccess', used_version: PROTOCOL_VERSION, flags: 0 });
    this.#state = 'serving';
    this.#log.info(
      {
        vendor: m.vendor,
        device_id: m.device_id,
        mode: this.#declareTxData ? 'full-template' : 'coinbase-only',
      },
      'job declarator client set up',
    );
  }

  #allocate(m: MessageByName<'AllocateMiningJobToken'>): void {
    const v = this.#tokens!.allocate(this.#host.poolOutputsCommitment, Date.now());
    if (!v.granted) {
      if (v.flood) {
        this.#log.warn(
          { request_id: m.request_id, why: v.why, outstanding: this.#tokens!.outstanding },
          'AllocateMiningJobToken flood: too many refused requests in a row; closing',
        );
        this.close('AllocateMiningJobToken flood');
      } else {
        this.#log.debug(
          { request_id: m.request_id, why: v.why },
          'AllocateMiningJobToken refused (rate limit)',
        );
      }
      return;
    }
    this.send({
      type: 'AllocateMiningJobTokenSuccess',
      request_id: m.request_id,
      mining_job_token: v.token,
      coinbase_tx_outputs: this.#host.poolOutputs,
    });
    this.#log.debug(
      { request_id: m.request_id, token_id: v.id, user_identifier: m.user_identifier },
      'mining job token allocated',
    );
  }

  async #declare(m: MessageByName<'DeclareMiningJob'>): Promise<void> {
    if (!this.#declareTxData) {
      return this.#refuse(
        m.request_id,
        new DeclareRefusal(
          JDS_ERROR.UNSUPPORTED_FEATURE_FLAGS,
          'DeclareMiningJob needs DECLARE_TX_DATA in SetupConnection.flags (this connection is coinbase-only)',
        ),
      );
    }
    const used = this.#tokens!.use(m.mining_job_token, Date.now());
    if (!used.ok) {
      return this.#refuse(m.request_id, new DeclareRefusal(JDS_ERROR.INVALID_MINING_JOB_TOKEN, used.details));
    }
    let d: Declaration;
    try {
      d = checkDeclaration(m, this.#host.declarePolicy);
      await this.#checkHeight(d.coinbase.height);
      resolveKnown(d, (key) => this.#host.lookup(key));
    } catch (err) {
      return this.#refuse(m.request_id, err);
    }
    if (d.missing.length === 0) return this.#finish(d, 0);
    this.#park(d);
    this.send({
      type: 'ProvideMissingTransactions',
      request_id: m.request_id,
      unknown_tx_position_list: d.missing,
    });
    this.#log.debug(
      { request_id: m.request_id, declared: d.keys.length, missing: d.missing.length },
      'ProvideMissingTransactions sent',
    );
  }

  /** Keeps a declaration until its transactions arrive; the oldest of too many is refused. */
  #park(d: Declaration): void {
    const stale = this.#pending.get(d.request_id);
    if (stale !== undefined) {
      this.#pending.delete(d.request_id);
      this.#refuse(
        d.request_id,
        new DeclareRefusal(JDS_ERROR.MISSING_TRANSACTIONS, 'a later declaration reused this request_id'),
      );
    }
    this.#pending.set(d.request_id, d);
    if (this.#pending.size > MAX_PENDING_DECLARATIONS) {
      const [oldest] = this.#pending.keys();
      this.#pending.delete(oldest!);
      this.#refuse(
        oldest!,
        new DeclareRefusal(
          JDS_ERROR.MISSING_TRANSACTIONS,
          `no ProvideMissingTransactions.Success before ${MAX_PENDING_DECLARATIONS} later declarations`,
        ),
      );
    }
  }

  async #provided(m: MessageByName<'ProvideMissingTransactionsSuccess'>): Promise<void> {
    const d = this.#pending.get(m.request_id);
    if (d === undefined) {
      this.#log.warn(
        { request_id: m.request_id },
        'ProvideMissingTransactions.Success for no pending request ignored',
      );
      return;
    }
    this.#pending.delete(m.request_id);
    const asked = d.missing.length;
    try {
      const provided = acceptProvided(d, m.transaction_list);
      const fees = await this.#host.feesOf(provided.map((t) => t.txid));
      for (const [i, t] of provided.entries()) t.fee = fees[i];
    } catch (err) {
      return this.#refuse(m.request_id, err);
    }
    this.#finish(d, asked);
  }

  async #checkHeight(height: number): Promise<void> {
    let next = this.#host.nextHeight();
    if (next !== height) next = await this.#host.refreshNextHeight();
    if (next === undefined) {
      throw new DeclareRefusal(
        JDS_ERROR.STALE_CHAIN_TIP,
        'the server cannot reach its node to learn the chain tip',
      );
    }
    if (next !== height) {
      throw new DeclareRefusal(
        JDS_ERROR.STALE_CHAIN_TIP,
        `the coinbase is for height ${height}, the node's next block is ${next}`,
      );
    }
  }

  #finish(d: Declaration, asked: number): void {
    let job: DeclaredJob;
    try {
      job = finishDeclaration(d, this.#host.declarePolicy);
    } catch (err) {
      return this.#refuse(d.request_id, err);
    }
    const issued = this.#tokens!.issue(TOKEN_KIND.DECLARED, job.commitment, Math.floor(Date.now() / 1000));
    this.#jobs.push(job);
    if (this.#jobs.length > KEPT_JOBS) this.#jobs.shift();
    this.send({
      type: 'DeclareMiningJobSuccess',
      request_id: d.request_id,
      new_mining_job_token: issued.token,
    });
    this.#log.info(
      {
        request_id: d.request_id,
        height: job.height,
        txs: job.txs.length,
        provided: asked,
        known_fees: String(job.knownFees),
        unknown_fees: job.unknownFees,
        token_id: issued.id,
      },
      'job declared',
    );
  }

  #refuse(request_id: number, err: unknown): void {
    if (!(err instanceof DeclareRefusal)) throw err;
    this.send({
      type: 'DeclareMiningJobError',
      request_id,
      error_code: err.code,
      error_details: new TextEncoder().encode(err.details.slice(0, 1000)),
    });
    this.#log.info({ request_id, error_code: err.code, details: err.details }, 'DeclareMiningJob refused');
  }
}
