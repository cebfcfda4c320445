// Bounded memory of header hashes seen on one channel since the last prev
// hash. When full, the oldest entry goes: a duplicate that old would have to
// be resubmitted after `capacity` newer shares, and it still pays only once
// per tip in expectation.

export class DuplicateFilter {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Records `hash`; returns false when it was already there. */
  add(hash: Uint8Array): boolean {
    const key = Buffer.from(hash.buffer, hash.byteOffset, hash.length).toString('latin1');
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.capacity) {
      const oldest = this.seen.values().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    this.seen.add(key);
    return true;
  }

  clear(): void {
    this.seen.clear();
  }

  get size(): number {
    return this.seen.size;
  }
}
