// A FIFO of byte chunks that hands out exact-length slices, copying only when
// a slice spans chunks. Used by the incremental frame decoders.
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #head = 0; // bytes already consumed from #chunks[0]
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Removes and returns the next `n` bytes; the caller checks `length` first. */
  take(n: number): Uint8Array {
    if (n > this.#length) throw new RangeError(`take(${n}) with ${this.#length} bytes queued`);
    this.#length -= n;
    const first = this.#chunks[0];
    if (first !== undefined && first.length - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#head += n;
      if (this.#head === first.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const available = chunk.length - this.#head;
      const count = Math.min(available, n - filled);
      out.set(chunk.subarray(this.#head, this.#head + count), filled);
      filled += count;
      this.#head += count;
      if (this.#head === chunk.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    return out;
  }

  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#length = 0;
  }
}
