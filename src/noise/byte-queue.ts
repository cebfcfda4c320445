// A FIFO of byte chunks that hands out exact-length slices, copying only when
// a slice spans chunks. Used by the incremental frame decoders.
//
// A peer decides how its bytes are cut into reads. Reads smaller than
// SMALL_READ that arrive behind queued bytes are copied into an owned staging
// block instead of being queued one by one, so a frame sent a byte per TCP segment costs a few blocks, not
// an object per byte; and consumed chunks are skipped by index, not by
// Array.shift(), so taking a frame is linear in its chunks, not quadratic.
const SMALL_READ = 512;
const STAGING_BLOCK = 4096;

export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #first = 0; // index of the first chunk not yet consumed
  #head = 0; // bytes already consumed from #chunks[#first]
  #length = 0;
  #staging: Uint8Array | undefined;
  #staged = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const queued = this.#length;
    this.#length += chunk.length;
    // A small read into an empty queue is usually a whole message, taken at
    // once: it is queued as it is. Small reads behind queued bytes are staged.
    if (chunk.length < SMALL_READ && queued > 0) {
      if (this.#staging !== undefined && this.#staged + chunk.length > this.#staging.length) this.#flush();
      this.#staging ??= new Uint8Array(STAGING_BLOCK);
      this.#staging.set(chunk, this.#staged);
      this.#staged += chunk.length;
      return;
    }
    this.#flush();
    this.#chunks.push(chunk);
  }

  /** Removes and returns the next `n` bytes; the caller checks `length` first. */
  take(n: number): Uint8Array {
    if (n > this.#length) throw new RangeError(`take(${n}) with ${this.#length} bytes queued`);
    this.#flush();
    this.#length -= n;
    const first = this.#chunks[this.#first];
    if (first !== undefined && first.length - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#head += n;
      if (this.#head === first.length) this.#advance();
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#first]!;
      const count = Math.min(chunk.length - this.#head, n - filled);
      out.set(chunk.subarray(this.#head, this.#head + count), filled);
      filled += count;
      this.#head += count;
      if (this.#head === chunk.length) this.#advance();
    }
    return out;
  }

  /**
   * When the next `n` bytes lie in one queued chunk: that chunk, and they
   * start at `frontOffset`; undefined when they span chunks (take() then
   * copies them). Read them in place, then skip(n). The caller checks
   * `length` first.
   */
  peek(n: number): Uint8Array | undefined {
    if (n > this.#length) throw new RangeError(`peek(${n}) with ${this.#length} bytes queued`);
    this.#flush();
    const first = this.#chunks[this.#first];
    return first !== undefined && first.length - this.#head >= n ? first : undefined;
  }

  /** Where the bytes peek() vouched for start in the chunk it returned. */
  get frontOffset(): number {
    return this.#head;
  }

  /** Drops the next `n` bytes, which peek() returned in one chunk. */
  skip(n: number): void {
    const first = this.#chunks[this.#first];
    if (first === undefined || first.length - this.#head < n)
      throw new RangeError(`skip(${n}) past the front chunk`);
    this.#length -= n;
    this.#head += n;
    if (this.#head === first.length) this.#advance();
  }

  clear(): void {
    this.#chunks = [];
    this.#first = 0;
    this.#head = 0;
    this.#length = 0;
    this.#staging = undefined;
    this.#staged = 0;
  }

  /** Queues what the staging block holds; the block is handed over, a new one comes on the next small read. */
  #flush(): void {
    if (this.#staging === undefined || this.#staged === 0) return;
    this.#chunks.push(this.#staging.subarray(0, this.#staged));
    this.#staging = undefined;
    this.#staged = 0;
  }

  #advance(): void {
    this.#first++;
    this.#head = 0;
    if (this.#first === this.#chunks.length) {
      this.#chunks = [];
      this.#first = 0;
    } else if (this.#first >= 64 && this.#first * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }
}
