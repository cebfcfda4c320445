// One upstream of the JDC: a pool and its job declarator server, connected
// together and given up together. The pool's extranonce_prefix (and any
// extranonce space it granted beyond what the JDC asked) becomes the fixed
// start of every coinbase's extranonce, so the JDC's downstream channels
// keep the same extranonce layout on every pool and when mining solo.
import type { TxOutput } from '../../bitcoin/index.js';
import type { ClientSecurity } from '../../net/client.js';
import type { Logger } from '../../net/logger.js';
import type { JdMode } from './config.js';
import { JdsClient, type AllocatedToken } from './jds-client.js';
import { PoolClient } from './pool-client.js';

export interface Endpoint {
  host: string;
  port: number;
  security: ClientSecurity;
}

export interface UpstreamTarget {
  /** For logs: the pool's "host:port". */
  name: string;
  pool: Endpoint;
  jds: Endpoint;
}

export interface LinkOptions {
  mode: JdMode;
  user_identity: string;
  /** Extranonce bytes the downstream channels use (the JDC's own prefix + what they roll). */
  extranonceSize: number;
  nominalHashrate: number;
  timeoutMs: number;
  logger: Logger;
}

export class UpstreamLink {
  /** The pool payout output (first) and any others the JDS asked for, values as sent (0). */
  readonly poolOutputs: TxOutput[];
  /** Bytes after the coinbase's extranonce push opcode that the downstreams never roll. */
  readonly fixed: Uint8Array;
  /** A token kept from the connection check, used by the first declaration. */
  spare: AllocatedToken | undefined;

  private constructor(
    readonly index: number,
    readonly target: UpstreamTarget,
    readonly pool: PoolClient,
    readonly jds: JdsClient,
    first: AllocatedToken,
    extranonceSize: number,
  ) {
    this.poolOutputs = first.outputs;
    this.spare = first;
    const ch = pool.channel;
    this.fixed = new Uint8Array(ch.extranonce_prefix.length + ch.extranonce_size - extranonceSize);
    this.fixed.set(ch.extranonce_prefix);
  }

  /** Connects to the pool (one extended channel) and the JDS (a first token); throws when either fails. */
  static async connect(index: number, target: UpstreamTarget, o: LinkOptions): Promise<UpstreamLink> {
    const [pool, jds] = await Promise.allSettled([
      PoolClient.connect({
        ...target.pool,
        user_identity: o.user_identity,
        nominal_hash_rate: o.nominalHashrate,
        min_extranonce_size: o.extranonceSize,
        timeoutMs: o.timeoutMs,
        logger: o.logger,
      }),
      JdsClient.connect({
        ...target.jds,
        mode: o.mode,
        user: o.user_identity,
        timeoutMs: o.timeoutMs,
        logger: o.logger,
      }),
    ]);
    const fail = (why: string): never => {
      if (pool.status === 'fulfilled') pool.value.close(why);
      if (jds.status === 'fulfilled') jds.value.close(why);
      throw new Error(why);
    };
    if (pool.status === 'rejected') fail(`pool: ${reason(pool.reason)}`);
    if (jds.status === 'rejected') fail(`JDS: ${reason(jds.reason)}`);
    const p = (pool as PromiseFulfilledResult<PoolClient>).value;
    const j = (jds as PromiseFulfilledResult<JdsClient>).value;
    let first: AllocatedToken;
    try {
      first = await j.token();
    } catch (err) {
      return fail(`JDS: ${reason(err)}`);
    }
    return new UpstreamLink(index, target, p, j, first, o.extranonceSize);
  }

  /** A token for the next job: the spare one first. */
  token(): Promise<AllocatedToken> {
    const spare = this.spare;
    this.spare = undefined;
    return spare !== undefined ? Promise.resolve(spare) : this.jds.token();
  }

  /** Resolves with what ended the link first: the pool's or the JDS's connection. */
  get ended(): Promise<string> {
    return Promise.race([
      this.pool.closed.then((r) => `pool connection closed: ${r}`),
      this.jds.closed.then((r) => `JDS connection closed: ${r}`),
    ]);
  }

  close(why: string): void {
    this.pool.close(why);
    this.jds.close(why);
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
