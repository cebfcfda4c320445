// The signed-in account's page: payout address, figures, chart, PPLNS
// position or solo blocks, and one row per worker (account, worker name).
import { hashrateChart } from '../chart.js';
import { clip, html, TITLE_MAX, type Html } from '../escape.js';
import { ago, btc, difficulty, hashrate, isoTime, ofNetwork, percent } from '../format.js';
import type { AccountView, WorkerView } from '../view.js';
import { csrfField, layout, stat } from './layout.js';

export interface AccountPageState {
  error?: string;
  notice?: string;
  /** The value typed when the address was refused. */
  address?: string;
}

function rejectSplit(w: WorkerView): Html {
  const reasons = Object.entries(w.rejects_24h);
  if (reasons.length === 0) return html``;
  return html`<div class="muted">
    ${reasons.map(([r, n], i) => html`${i > 0 ? ', ' : ''}${r}: ${n}`)} (24 h)
  </div>`;
}

function workerRow(w: WorkerView, now: number): Html {
  return html`<tr class="worker" data-worker="${clip(w.name, TITLE_MAX)}">
    <td class="name" title="${clip(w.name, TITLE_MAX)}">${clip(w.name, 48)}</td>
    <td>
      ${w.online ? html`<span class="online">online</span>` : html`<span class="offline">offline</span>`}
    </td>
    <td class="num hashrate-10m">${hashrate(w.hashrate_10m)}</td>
    <td class="num">${hashrate(w.hashrate_1h)}</td>
    <td class="num">${hashrate(w.hashrate_24h)}</td>
    <td class="num">${w.current_difficulty === null ? '—' : difficulty(w.current_difficulty)}</td>
    <td class="num">${w.accepted}</td>
    <td class="num">${w.rejected} (${percent(w.reject_rate, 1)})${rejectSplit(w)}</td>
    <td class="num">${w.best_share_session === null ? '—' : difficulty(w.best_share_session)}</td>
    <td class="num">${difficulty(w.best_share_difficulty)}</td>
    <td class="ua" title="${clip(w.user_agent ?? '', TITLE_MAX)}">${clip(w.user_agent ?? '—', 40)}</td>
    <td title="${w.last_share_at === null ? '' : isoTime(w.last_share_at)}">${ago(w.last_share_at, now)}</td>
  </tr>`;
}

function workersTable(v: AccountView, now: number): Html {
  if (v.workers.length === 0) {
    return html`<p class="muted" id="no-workers">
      No workers yet. Point a miner at the pool with user <code>${v.account}.worker1</code>.
    </p>`;
  }
  return html`<table id="workers-table">
    <thead>
      <tr>
        <th>Worker</th>
        <th>Status</th>
        <th class="num">10 min</th>
        <th class="num">1 h</th>
        <th class="num">24 h</th>
        <th class="num">Difficulty</th>
        <th class="num">Accepted</th>
        <th class="num">Rejected</th>
        <th class="num">Best (session)</th>
        <th class="num">Best (ever)</th>
        <th>User agent</th>
        <th>Last share</th>
      </tr>
    </thead>
    <tbody>
      ${v.workers.map((w) => workerRow(w, now))}
    </tbody>
  </table>`;
}

function payoutSection(v: AccountView): Html {
  if (v.payout_mode === 'pplns') {
    const p = v.pplns;
    const body = p
      ? html`<div class="grid">
            ${stat('Share of the PPLNS window', percent(p.share, 3), 'pplns-share')}
            ${stat('Your work in the window', `${difficulty(p.window_difficulty)} of ${difficulty(p.window_total)}`)}
            ${stat('If the next block were found now', p.next_block_estimate_sats === null ? '—' : btc(p.next_block_estimate_sats), 'pplns-estimate')}
            ${stat('Carried credit', btc(p.credit_sats), 'pplns-credit')}
          </div>
          <p class="muted">
            The estimate is the block reward after the pool fee times your share of the window; payouts below
            the dust limit, beyond the coinbase's output cap or without a payout address are carried as
            credit.
          </p>`
      : html`<p class="muted">No template from the network yet.</p>`;
    const payouts =
      v.payouts.length === 0
        ? html`<p class="muted">No payouts yet.</p>`
        : html`<table>
            <thead>
              <tr>
                <th class="num">Height</th>
                <th>Block</th>
                <th class="num">Amount</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              ${v.payouts.map(
                (p) =>
                  html`<tr>
                    <td class="num">${p.height}</td>
                    <td class="mono">${p.block_hash.slice(0, 16)}…</td>
                    <td class="num">${btc(p.amount_sats)}</td>
                    <td>${p.status}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`;
    return html`<section class="card" id="pplns" data-live>
      <h2>PPLNS</h2>
      ${body}
      <h2>Payouts</h2>
      ${payouts}
    </section>`;
  }
  const blocks =
    v.blocks.length === 0
      ? html`<p class="muted">No blocks found yet.</p>`
      : html`<table>
          <thead>
            <tr>
              <th class="num">Height</th>
              <th>Hash</th>
              <th>Worker</th>
              <th class="num">Reward</th>
              <th>Status</th>
              <th>Time</th>
            </tr>
          </thead>
          <tbody>
            ${v.blocks.map(
              (b) =>
                html`<tr>
                  <td class="num">${b.height}</td>
                  <td class="mono">${b.hash.slice(0, 16)}…</td>
                  <td class="name">${clip(b.worker ?? '—', 40)}</td>
                  <td class="num">${btc(b.reward_sats)}</td>
                  <td>${b.status}</td>
                  <td>${isoTime(b.time)}</td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  return html`<section class="card" id="solo-blocks" data-live>
    <h2>Your blocks</h2>
    ${blocks}
  </section>`;
}

export function accountPage(
  v: AccountView,
  csrf: string,
  refresh: number,
  state: AccountPageState = {},
  now = Date.now(),
): Html {
  const address = state.address ?? v.payout_address ?? '';
  const body = html`<h1>Account <span class="name" id="account-name">${v.account}</span></h1>
    <section class="card" id="payout-address">
      <h2>Payout address</h2>
      ${state.error ? html`<p class="error" id="form-error" role="alert">${state.error}</p>` : ''}
      ${state.notice ? html`<p class="notice" id="form-notice">${state.notice}</p>` : ''}
      <p>
        Current:
        <code id="current-address"
          >${v.payout_address ?? 'none (payouts are carried as credit until you set one)'}</code
        >
      </p>
      ${
        v.payout_mode === 'solo'
          ? html`<p class="muted">In solo mode the payout address is the account name.</p>`
          : html`<form class="stack" method="post" action="/account/payout-address">
              ${csrfField(csrf)}
              <label for="address">New payout address</label>
              <input type="text" id="address" name="address" required maxlength="100" value="${address}" />
              <button type="submit" id="address-submit">Save</button>
            </form>`
      }
    </section>
    <section class="card" id="account-stats" data-live>
      <h2>Figures</h2>
      <div class="grid">
        ${stat('Hashrate (10 min)', hashrate(v.hashrate_10m), 'account-hashrate-10m')}
        ${stat('Hashrate (1 h)', hashrate(v.hashrate_1h))}
        ${stat('Hashrate (24 h)', hashrate(v.hashrate_24h))}
        ${stat('Workers online', v.workers_online, 'account-workers-online')}
        ${stat('Accepted shares', v.totals.accepted, 'account-accepted')}
        ${stat('Rejected shares', `${v.totals.rejected} (${percent(v.reject_rate, 1)})`)}
        ${stat('Stale shares', v.totals.stale)}
        ${stat(
          'Best share ever',
          `${difficulty(v.best_share_difficulty)}${v.best_share_of_network === null ? '' : ` (${ofNetwork(v.best_share_of_network)})`}`,
        )}
      </div>
      ${
        Object.keys(v.rejected_by_reason).length > 0
          ? html`<p class="muted">
              Rejected by reason:
              ${Object.entries(v.rejected_by_reason).map(([r, n], i) => html`${i > 0 ? ', ' : ''}${r}: ${n}`)}
            </p>`
          : ''
      }
    </section>
    <section class="card" id="account-chart" data-live>
      <h2>Hashrate, last 24 hours</h2>
      ${hashrateChart(v.chart, `Hashrate of ${v.account} over the last 24 hours`)}
      <p class="muted" id="chart-sample">
        Based on ${v.chart_shares_24h} accepted shares in the last 24
        hours${v.chart_shares_24h > 0 ? ` (statistical error of the 24 h average about ±${percent(1 / Math.sqrt(v.chart_shares_24h), 0)})` : ''};
        each point is 10 minutes.
      </p>
    </section>
    <section class="card" id="workers" data-live>
      <h2>Workers</h2>
      ${workersTable(v, now)}
    </section>
    ${payoutSection(v)}`;
  return layout({ title: `Account ${v.account}`, user: { account: v.account }, csrf, refresh }, body);
}
