// In-process counters of the translator: plain numbers a /metrics page or
// the periodic summary line can read. Refusals and rejects are counted by
// reason so an operator can see why miners are turned away.

export class TranslatorMetrics {
  connectionsAccepted = 0;
  connectionsOpen = 0;
  /** Connections refused at accept, by reason. */
  readonly refused = new Map<string, number>();
  /** Connections closed by the translator, by reason. */
  readonly closed = new Map<string, number>();
  sharesAccepted = 0;
  /** Locally rejected shares, by SV1 message. */
  readonly rejected = new Map<string, number>();
  sharesForwarded = 0;
  /** Forwarded shares answered as accepted without the pool's acknowledgement (it did not come in time). */
  sharesUnconfirmed = 0;
  /** Forwarded shares whose connection ended before the pool answered (their miners got an error). */
  sharesLost = 0;
  upstreamAccepted = 0;
  /** SubmitShares.Error from upstream, by error_code. */
  readonly upstreamRejected = new Map<string, number>();
  blocksFound = 0;
  notifiesPushed = 0;
  upstreamConnects = 0;
  upstreamLosses = 0;
  /** Returns to a pool ahead in the list. */
  failbacks = 0;
  /** Name of the upstream in use, or '' while none is. */
  upstream = '';

  count(map: Map<string, number>, reason: string): void {
    map.set(reason, (map.get(reason) ?? 0) + 1);
  }

  /** A flat snapshot (maps as objects), for logs and metric pages. */
  snapshot(): Record<string, unknown> {
    return {
      connections_accepted: this.connectionsAccepted,
      connections_open: this.connectionsOpen,
      connections_refused: Object.fromEntries(this.refused),
      connections_closed: Object.fromEntries(this.closed),
      shares_accepted: this.sharesAccepted,
      shares_rejected: Object.fromEntries(this.rejected),
      shares_forwarded: this.sharesForwarded,
      shares_unconfirmed: this.sharesUnconfirmed,
      shares_lost: this.sharesLost,
      upstream_accepted: this.upstreamAccepted,
      upstream_rejected: Object.fromEntries(this.upstreamRejected),
      blocks_found: this.blocksFound,
      notifies_pushed: this.notifiesPushed,
      upstream_connects: this.upstreamConnects,
      upstream_losses: this.upstreamLosses,
      failbacks: this.failbacks,
      upstream: this.upstream,
    };
  }
}
