// Legacy signature-operation counting, as Bitcoin Core's inexact
// GetSigOpCount(false) does it: OP_CHECKSIG(VERIFY) counts 1 and
// OP_CHECKMULTISIG(VERIFY) counts 20 whatever its key count. Push data is
// skipped, never read as opcodes; a truncated push ends the scan.
const OP_PUSHDATA1 = 0x4c;
const OP_PUSHDATA2 = 0x4d;
const OP_PUSHDATA4 = 0x4e;
const OP_CHECKSIG = 0xac;
const OP_CHECKSIGVERIFY = 0xad;
const OP_CHECKMULTISIG = 0xae;
const OP_CHECKMULTISIGVERIFY = 0xaf;

/** Block sigop cost of one legacy sigop (BIP141's WITNESS_SCALE_FACTOR). */
export const LEGACY_SIGOP_COST = 4;

/** Legacy sigops in one script (scriptSig or scriptPubKey). */
export function countLegacySigops(script: Uint8Array): number {
  let n = 0;
  let i = 0;
  while (i < script.length) {
    const op = script[i++]!;
    let push = 0;
    if (op >= 0x01 && op < OP_PUSHDATA1) push = op;
    else if (op === OP_PUSHDATA1) {
      if (i + 1 > script.length) break;
      push = 1 + script[i]!;
    } else if (op === OP_PUSHDATA2) {
      if (i + 2 > script.length) break;
      push = 2 + (script[i]! | (script[i + 1]! << 8));
    } else if (op === OP_PUSHDATA4) {
      if (i + 4 > script.length) break;
      push = 4 + (script[i]! | (script[i + 1]! << 8) | (script[i + 2]! << 16)) + script[i + 3]! * 0x1000000;
    } else if (op === OP_CHECKSIG || op === OP_CHECKSIGVERIFY) n += 1;
    else if (op === OP_CHECKMULTISIG || op === OP_CHECKMULTISIGVERIFY) n += 20;
    if (i + push > script.length) break;
    i += push;
  }
  return n;
}
