// The page's stylesheet and script, served from memory (/style.css, /app.js).
// The script only enhances: copy buttons, and refreshing the parts of a page
// marked data-live without a full reload. The pages work without it.

export const STYLE_CSS = `
:root { --fg: #1d2329; --muted: #5b6570; --bg: #f6f7f9; --card: #fff; --line: #dde1e6; --accent: #e8890c; --ok: #1a7f37; --bad: #c0392b; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { background: #1d2329; color: #fff; padding: 0.6rem 1rem; display: flex; gap: 1.2rem; align-items: center; flex-wrap: wrap; }
header a { color: #fff; text-decoration: none; }
header .brand { font-weight: 700; font-size: 1.15rem; color: var(--accent); }
header nav { display: flex; gap: 1rem; align-items: center; margin-left: auto; }
header form { margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.6rem; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin-bottom: 1rem; overflow-x: auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 0.8rem; }
.stat { border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem; }
.stat .label { color: var(--muted); font-size: 0.8rem; }
.stat .value { font-size: 1.15rem; font-weight: 600; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name, td.ua { max-width: 16rem; overflow-wrap: anywhere; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.connect { display: flex; gap: 0.5rem; align-items: center; margin: 0.3rem 0 0.8rem; flex-wrap: wrap; }
.connect code { background: #f0f2f5; padding: 0.35rem 0.5rem; border-radius: 4px; }
.authority { font-size: 1.05rem; font-weight: 600; border: 2px solid var(--accent); }
button, input[type=submit] { font: inherit; padding: 0.35rem 0.8rem; border-radius: 4px; border: 1px solid #aab2bb; background: #fff; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
input[type=text], input[type=password] { font: inherit; padding: 0.35rem 0.5rem; border: 1px solid #aab2bb; border-radius: 4px; width: 100%; max-width: 28rem; }
form.stack label { display: block; margin: 0.6rem 0 0.2rem; }
form.stack button { margin-top: 0.8rem; }
.online { color: var(--ok); font-weight: 600; }
.offline { color: var(--muted); }
.error { color: var(--bad); font-weight: 600; }
.notice { color: var(--ok); font-weight: 600; }
.muted { color: var(--muted); font-size: 0.85rem; }
svg.chart { width: 100%; height: auto; max-height: 240px; }
svg.chart .line { fill: none; stroke: var(--accent); stroke-width: 2; }
svg.chart .area { fill: var(--accent); opacity: 0.15; }
svg.chart .grid { stroke: var(--line); stroke-width: 1; }
svg.chart .axis { fill: var(--muted); font-size: 11px; }
`;

export const APP_JS = `'use strict';
(function () {
  function copyText(text, button) {
    var done = function () { var old = button.textContent; button.textContent = 'Copied'; setTimeout(function () { button.textContent = old; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else { fallback(text); done(); }
  }
  function fallback(text) {
    var area = document.createElement('textarea');
    area.value = text; area.setAttribute('readonly', ''); area.style.position = 'absolute'; area.style.left = '-9999px';
    document.body.appendChild(area); area.select();
    try { document.execCommand('copy'); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }
  document.addEventListener('click', function (ev) {
    var button = ev.target.closest('button[data-copy]');
    if (!button) return;
    var source = document.getElementById(button.getAttribute('data-copy'));
    if (source) copyText(source.textContent, button);
  });
  var seconds = Number(document.body.getAttribute('data-refresh') || '0');
  if (seconds > 0) {
    setInterval(function () {
      fetch(location.href, { credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) return null;
        return r.text();
      }).then(function (text) {
        if (!text) return;
        var doc = new DOMParser().parseFromString(text, 'text/html');
        document.querySelectorAll('[data-live]').forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (fresh) el.replaceWith(document.importNode(fresh, true));
        });
      }).catch(function () { /* try again at the next tick */ });
    }, seconds * 1000);
  }
})();
`;
