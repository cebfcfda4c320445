// Server-side SV2 mining channels (spec 5): extranonce allocation, jobs from
// Template Distribution templates, share validation, vardiff and batched
// acknowledgements. Pure: no sockets, timers or files; time comes in as `now`
// (milliseconds, e.g. Date.now()). Shared by the pool and the job declarator
// client.
//
// One MiningChain per server, one ServerConnectionChannels per downstream
// connection:
//
//   const chain = new MiningChain(config, (payout_key, template) => ({ outputs }));
//   const conn = new ServerConnectionChannels(chain, { flags: setupConnection.flags });
//
//   TDP NewTemplate t:        if (chain.newTemplate(t)) for each conn: send(conn.onNewTemplate(t.template_id))
//   TDP SetNewPrevHash p:     if (chain.setNewPrevHash(p, now)) for each conn: send(conn.onSetNewPrevHash())
//   OpenStandardMiningChannel m:  send(conn.openStandard(m, auth, now))   auth = { ok: true, payout_key } | { ok: false }
//   OpenExtendedMiningChannel m:  send(conn.openExtended(m, auth, now))
//   UpdateChannel m:          send(conn.updateChannel(m, now))
//   CloseChannel m:           conn.closeChannel(m.channel_id);  connection lost: conn.close()
//   SubmitShares* m:          v = conn.submitStandard(m, now) / conn.submitExtended(m, now)
//                             rejected: send(v.error) at once
//                             accepted: store v.share; if v.block, send v.block.submit_solution to the TP
//                             once stored: send(conn.confirm(v.share))   (Success per share_batch_size, or at once on a block)
//   every few seconds:        send(conn.evaluateVardiff(now)); send(conn.flush()) to acknowledge stragglers
//
// Payouts: each channel has a payout_key chosen by the pool (e.g. "pool" for a
// shared PPLNS coinbase, or the miner's address when solo mining); the chain
// asks the resolver for that key's outputs once per template. Standard
// channels of a connection without REQUIRES_STANDARD_JOBS share a group
// channel per payout key; extended channels always get their own jobs and
// report group_channel_id 0, as do standard channels of a connection that
// requires standard jobs.
//
// Custom jobs: a connection that set REQUIRES_WORK_SELECTION gets no jobs from
// the templates; it declares its own on extended channels:
//   SetCustomMiningJob m:     v = conn.setCustomJob(m, check, now); send(v.message)
//                             check = the caller's verdict on the token, and its job checks
//                             (poolPayoutRefusal, commitmentRefusal); see custom-job.ts
// Its shares are judged like any other; a block on a custom job has no
// template (template_id null, no SubmitSolution): the declarer submits it.
//
// Extranonce: prefix = [server_id][channel index] (extranonce_prefix_size
// bytes, 4 by default); extended channels roll max(min_extranonce_size,
// default_rollable_extranonce_size) bytes after it; standard channels get the
// prefix zero-padded to standard_extranonce_size and roll nothing.
export * from './acks.js';
export * from './chain.js';
export * from './config.js';
export * from './connection.js';
export * from './custom-job.js';
export * from './duplicates.js';
export * from './errors.js';
export * from './extranonce.js';
export * from './jd-token.js';
export * from './judge.js';
export * from './vardiff.js';
