// Container health check: `node docker/healthcheck.mjs tcp <port> [...]` and/or
// `http <url>`; exits 0 only when every check passes within 3 seconds.
import { connect } from 'node:net';

function tcp(port) {
  return new Promise((done) => {
    const s = connect({ host: '127.0.0.1', port: Number(port) });
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

async function http(url) {
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 3000).unref();
  try {
    return (await fetch(url, { signal: abort.signal })).ok;
  } catch {
    return false;
  }
}

const args = process.argv.slice(2);
let ok = args.length > 0;
for (let i = 0; i + 1 < args.length; i += 2) {
  const [kind, target] = [args[i], args[i + 1]];
  const pass = kind === 'tcp' ? await tcp(target) : kind === 'http' ? await http(target) : false;
  if (!pass) {
    console.error(`unhealthy: ${kind} ${target}`);
    ok = false;
  }
}
process.exit(ok ? 0 : 1);
