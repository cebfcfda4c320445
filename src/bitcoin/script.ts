// Minimal script building: data pushes with the shortest opcode, as a
// coinbase tag or an output script needs them.

export const OP_0 = 0x00;
export const OP_PUSHDATA1 = 0x4c;
export const OP_PUSHDATA2 = 0x4d;
export const OP_1 = 0x51;
export const OP_RETURN = 0x6a;
export const OP_DUP = 0x76;
export const OP_EQUAL = 0x87;
export const OP_EQUALVERIFY = 0x88;
export const OP_HASH160 = 0xa9;
export const OP_CHECKSIG = 0xac;

/** The push of `data` with the shortest push opcode (direct length up to 75 bytes). */
export function pushData(data: Uint8Array): Uint8Array {
  let head: number[];
  if (data.length <= 75) head = [data.length];
  else if (data.length <= 0xff) head = [OP_PUSHDATA1, data.length];
  else if (data.length <= 0xffff) head = [OP_PUSHDATA2, data.length & 0xff, data.length >> 8];
  else throw new RangeError(`cannot push ${data.length} bytes`);
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}
