// Server-rendered SVG charts: a hashrate area chart over the 144 ten-minute
// buckets of the last 24 hours. No script, no external assets.
import { html, type Html } from './escape.js';
import { hashrate as fmtHashrate } from './format.js';

export interface ChartSample {
  time: number;
  hashrate: number;
}

const W = 720;
const H = 180;
const PAD_L = 70;
const PAD_R = 10;
const PAD_T = 10;
const PAD_B = 24;

function hourLabel(t: number): string {
  const d = new Date(t);
  return `${String(d.getUTCHours()).padStart(2, '0')}:00`;
}

/** An SVG area chart of `points` (oldest first). `label` names it for screen readers. */
export function hashrateChart(points: readonly ChartSample[], label: string): Html {
  const n = points.length;
  const max = Math.max(0, ...points.map((p) => p.hashrate));
  const top = max > 0 ? max * 1.1 : 1;
  const x = (i: number) => PAD_L + (n <= 1 ? 0 : (i * (W - PAD_L - PAD_R)) / (n - 1));
  const y = (v: number) => PAD_T + (H - PAD_T - PAD_B) * (1 - v / top);
  const line = points.map((p, i) => `${x(i).toFixed(1)},${y(p.hashrate).toFixed(1)}`).join(' ');
  const base = y(0).toFixed(1);
  const area = n > 0 ? `${x(0).toFixed(1)},${base} ${line} ${x(n - 1).toFixed(1)},${base}` : '';
  const grid = [0, 0.5, 1].map((f) => {
    const v = top * f;
    const yy = y(v).toFixed(1);
    return html`<line class="grid" x1="${PAD_L}" x2="${W - PAD_R}" y1="${yy}" y2="${yy}"></line>
      <text class="axis" x="${PAD_L - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle"
        >${fmtHashrate(v)}</text
      >`;
  });
  // A time label every 6 hours (36 buckets).
  const ticks = points
    .map((p, i) => ({ p, i }))
    .filter(({ i }) => (n - 1 - i) % 36 === 0)
    .map(
      ({ p, i }) =>
        html`<text class="axis" x="${x(i).toFixed(1)}" y="${H - 6}" text-anchor="middle"
          >${hourLabel(p.time)}</text
        >`,
    );
  return html`<svg
    class="chart"
    viewBox="0 0 ${W} ${H}"
    role="img"
    aria-label="${label}"
    data-points="${n}"
    data-max="${max}"
  >
    <title>${label}</title>
    ${grid}
    <polygon class="area" points="${area}"></polygon>
    <polyline class="line" points="${line}"></polyline>
    ${ticks}
  </svg>`;
}
