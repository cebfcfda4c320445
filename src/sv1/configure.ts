// mining.configure (BIP310): every requested extension gets an answer, in the
// order asked; unknown ones get false. Version rolling grants the miner's
// mask intersected with what we allow, or false when nothing is allowed
// (an upstream job that forbids rolling must not be rolled: shares would be
// dropped upstream while the miner sees them accepted).
import { u32Hex, parseU32Hex } from './hex.js';
import { ERR_OTHER, type Sv1Reject } from './errors.js';

/** BIP320's general-purpose version bits (13–28), the mask V1 firmware expects. */
export const BIP320_MASK = 0x1fffe000;

export interface ConfigureOutcome {
  /** The reply's result object. */
  result: Record<string, unknown>;
  /** Granted version-rolling mask when version-rolling was requested (0 = refused). */
  versionMask?: number;
  /** Requested minimum difficulty when minimum-difficulty was requested and accepted. */
  minimumDifficulty?: number;
  subscribeExtranonce?: boolean;
  info?: Record<string, unknown>;
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v >>>= 1) n += v & 1;
  return n;
}

/** `allowedMask` = what the upstream allows ∩ the port's mask; 0 when rolling is forbidden. */
export function answerConfigure(params: unknown[], allowedMask: number): ConfigureOutcome | Sv1Reject {
  const names = params[0];
  const options = params[1] ?? {};
  if (!Array.isArray(names) || names.length > 32 || typeof options !== 'object' || Array.isArray(options)) {
    return { code: ERR_OTHER, message: 'Invalid params' };
  }
  const opts = options as Record<string, unknown>;
  // Null prototype: an extension named "__proto__" is just another unknown name.
  const out: ConfigureOutcome = { result: Object.create(null) as Record<string, unknown> };
  for (const name of names) {
    if (typeof name !== 'string' || name.length > 64) return { code: ERR_OTHER, message: 'Invalid params' };
    switch (name) {
      case 'version-rolling': {
        // A missing mask means "any bits"; an unparsable one grants nothing.
        const asked =
          opts['version-rolling.mask'] === undefined ? 0xffffffff : parseU32Hex(opts['version-rolling.mask']);
        const minBits = opts['version-rolling.min-bit-count'];
        const granted = ((asked ?? 0) & allowedMask) >>> 0;
        const enough = typeof minBits !== 'number' || popcount(granted) >= minBits;
        if (granted !== 0 && enough) {
          out.result['version-rolling'] = true;
          out.result['version-rolling.mask'] = u32Hex(granted);
          out.versionMask = granted;
        } else {
          out.result['version-rolling'] = false;
          out.versionMask = 0;
        }
        break;
      }
      case 'minimum-difficulty': {
        const value = opts['minimum-difficulty.value'];
        const ok = typeof value === 'number' && Number.isFinite(value) && value >= 0;
        out.result['minimum-difficulty'] = ok;
        if (ok) out.minimumDifficulty = value;
        break;
      }
      case 'subscribe-extranonce':
        out.result['subscribe-extranonce'] = true;
        out.subscribeExtranonce = true;
        break;
      case 'info': {
        out.result.info = true;
        const info: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(opts)) if (k.startsWith('info.')) info[k.slice(5)] = v;
        out.info = info;
        break;
      }
      default:
        out.result[name] = false;
    }
  }
  return out;
}
