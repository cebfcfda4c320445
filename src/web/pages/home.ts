// The public page: pool figures, the 24-hour chart, how to connect, device
// families and blocks found.
import { hashrateChart } from '../chart.js';
import { clip, html, TITLE_MAX, type Html } from '../escape.js';
import { ago, btc, difficulty, duration, hashrate, isoTime, ofNetwork } from '../format.js';
import type { PoolView } from '../view.js';
import { layout, stat, type PageUser } from './layout.js';

export function connectSection(v: PoolView): Html {
  const c = v.connect;
  return html`<section class="card" id="connect">
    <h2>Connect</h2>
    <p>
      SV2 devices and proxies (encrypted; the key after the last slash is the pool's authority public key,
      which your device pins):
    </p>
    <div class="connect">
      <code id="sv2-url">${c.sv2_url}</code><button type="button" data-copy="sv2-url">Copy</button>
    </div>
    <p>Authority public key:</p>
    <div class="connect">
      <code class="authority" id="authority-key">${c.authority_public_key}</code
      ><button type="button" data-copy="authority-key">Copy</button>
    </div>
    <p>Stratum V1 firmware (through the translator), user <code>${c.translator_user}</code>, any password:</p>
    <div class="connect">
      <code id="translator-url">${c.translator_url}</code
      ><button type="button" data-copy="translator-url">Copy</button>
    </div>
    ${
      v.payout_mode === 'pplns'
        ? html`<p class="muted">
            Mining needs an account: <a href="/signup">sign up</a>, then use your account name before the dot
            and any worker name after it.
          </p>`
        : html`<p class="muted">
            Solo mining: use your payout address of ${v.network_name} before the dot; a block you find pays it
            (minus the pool fee).
          </p>`
    }
  </section>`;
}

function blocksTable(v: PoolView, now: number): Html {
  if (v.blocks.length === 0) return html`<p class="muted">No blocks found yet.</p>`;
  return html`<table id="blocks-table">
    <thead>
      <tr>
        <th class="num">Height</th>
        <th>Hash</th>
        <th>Found by</th>
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
            <td class="mono" title="${b.hash}">${b.hash.slice(0, 16)}…</td>
            <td class="name" title="${clip(`${b.account ?? ''}.${b.worker ?? ''}`, TITLE_MAX)}">
              ${b.account === null ? '—' : clip(`${b.account}.${b.worker ?? ''}`, 40)}
            </td>
            <td class="num">${btc(b.reward_sats)}</td>
            <td>${b.status}</td>
            <td title="${isoTime(b.time)}">${ago(b.time, now)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function devicesTable(v: PoolView): Html {
  if (v.devices.length === 0) return html`<p class="muted">No workers online.</p>`;
  return html`<table id="devices-table">
    <thead>
      <tr>
        <th>Family</th>
        <th class="num">Workers online</th>
        <th class="num">Hashrate (10 min)</th>
      </tr>
    </thead>
    <tbody>
      ${v.devices.map(
        (d) =>
          html`<tr>
            <td class="name">${d.family}</td>
            <td class="num">${d.workers}</td>
            <td class="num">${hashrate(d.hashrate)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function homePage(v: PoolView, user: PageUser | null, csrf: string, refresh: number): Html {
  const n = v.network;
  const best = v.best_share;
  const fee = `${v.pool_fee_percent} %`;
  const body = html`<h1>Pool</h1>
    ${connectSection(v)}
    <section class="card" id="pool-stats" data-live>
      <h2>Now</h2>
      <div class="grid">
        ${stat('Hashrate (10 min)', hashrate(v.hashrate_10m), 'hashrate-10m')}
        ${stat('Hashrate (1 h)', hashrate(v.hashrate_1h), 'hashrate-1h')}
        ${stat('Hashrate (24 h)', hashrate(v.hashrate_24h), 'hashrate-24h')}
        ${stat('Workers online', v.workers_online, 'workers-online')}
        ${stat('Accepted shares', v.shares.accepted, 'shares-accepted')}
        ${stat('Rejected shares', v.shares.rejected, 'shares-rejected')}
        ${stat('Stale shares', v.shares.stale, 'shares-stale')}
        ${stat('Blocks found', v.blocks_found, 'blocks-found')}
        ${stat('Orphaned / rejected blocks', `${v.blocks_orphaned} / ${v.blocks_rejected}`, 'blocks-off-chain')}
        ${stat('Network difficulty', n ? difficulty(n.difficulty) : '—', 'network-difficulty')}
        ${stat('Height', n ? n.height : '—', 'height')}
        ${stat('Expected time to a block', v.expected_block_seconds === null ? '—' : duration(v.expected_block_seconds), 'expected-block')}
        ${stat(
          'Best share ever',
          best
            ? `${difficulty(best.difficulty)}${best.of_network === null ? '' : ` (${ofNetwork(best.of_network)})`}`
            : '—',
          'best-share',
        )}
        ${stat('Payout', `${v.payout_mode.toUpperCase()}, fee ${fee}`, 'payout-mode')}
        ${stat('Network', v.network_name, 'network')}
        ${stat('Template age', n ? duration(n.template_age_seconds) : '—', 'template-age')}
      </div>
      ${best ? html`<p class="muted">Best share by <span class="name">${clip(`${best.account}.${best.worker}`, 60)}</span>.</p>` : ''}
    </section>
    <section class="card" id="pool-chart" data-live>
      <h2>Hashrate, last 24 hours</h2>
      ${hashrateChart(v.chart, 'Pool hashrate over the last 24 hours')}
      <p class="muted">Each point is 10 minutes; ${v.chart_shares_24h} shares in the last 24 hours.</p>
    </section>
    <section class="card" id="devices" data-live>
      <h2>Devices connected</h2>
      ${devicesTable(v)}
    </section>
    <section class="card" id="blocks" data-live>
      <h2>Blocks found</h2>
      ${blocksTable(v, v.time)}
      <p class="muted">
        Blocks on the chain, pending until buried deep enough to count as confirmed. Candidates that did not
        make it (orphaned, or rejected by the node) are counted apart above and listed with their status at
        <a href="/api/blocks">/api/blocks</a>.
      </p>
    </section>`;
  return layout({ title: 'Pool', user, csrf, refresh }, body);
}
