// Output buffers for encoders. Small frames are carved out of a shared slab
// (as Node's Buffer pool does) because every standalone ArrayBuffer costs an
// off-heap allocation; the results stay plain Uint8Arrays so they compare
// equal to any other Uint8Array holding the same bytes. A region is handed
// out once and never reused, so a slab lives while any view into it does.
const SLAB_SIZE = 16 * 1024;
const MAX_POOLED = 2 * 1024;

let slab = new ArrayBuffer(SLAB_SIZE);
let used = 0;

/** A zero-filled Uint8Array of `n` bytes; `.buffer` may be shared, so honour byteOffset. */
export function allocBytes(n: number): Uint8Array {
  if (n > MAX_POOLED) return new Uint8Array(n);
  if (used + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    used = 0;
  }
  const out = new Uint8Array(slab, used, n);
  used += (n + 7) & ~7; // keep regions 8-byte aligned
  return out;
}
