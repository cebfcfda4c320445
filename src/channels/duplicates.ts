// Bounded memory of header hashes seen on one channel since the last prev
// hash. When full, the oldest entry goes: a duplicate that old would have to
// be resubmitted after `capacity` newer shares, and it still pays only once
// per tip in expectation. The age order is a ring of keys beside the set:
// evicting through the set's own iterator gets slower with every deletion
// (a full set of 65,536 cost about 15 µs a share that way, under 1 µs so).

/** A 32-byte hash as a 32-character string (one char per byte): exact, and cheap to hash. */
function hashKey(h: Uint8Array): string {
  if (h.length !== 32) throw new RangeError(`share hash must be 32 bytes, got ${h.length}`);
  // prettier-ignore
  return String.fromCharCode(
    h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, h[8]!, h[9]!, h[10]!, h[11]!, h[12]!, h[13]!, h[14]!, h[15]!,
    h[16]!, h[17]!, h[18]!, h[19]!, h[20]!, h[21]!, h[22]!, h[23]!, h[24]!, h[25]!, h[26]!, h[27]!, h[28]!, h[29]!, h[30]!, h[31]!,
  );
}

export class DuplicateFilter {
  private readonly seen = new Set<string>();
  /** Keys in arrival order; once full, `oldest` is where the next eviction happens. */
  private readonly order: string[] = [];
  private oldest = 0;

  constructor(private readonly capacity: number) {}

  /** Records `hash`; returns false when it was already there. */
  add(hash: Uint8Array): boolean {
    const key = hashKey(hash);
    if (this.seen.has(key)) return false;
    if (this.order.length < this.capacity) {
      this.order.push(key);
    } else {
      this.seen.delete(this.order[this.oldest]!);
      this.order[this.oldest] = key;
      this.oldest = (this.oldest + 1) % this.capacity;
    }
    this.seen.add(key);
    return true;
  }

  clear(): void {
    this.seen.clear();
    this.order.length = 0;
    this.oldest = 0;
  }

  get size(): number {
    return this.seen.size;
  }
}
