// Extranonce prefixes: [server_id: 1 byte][channel index: size − 1 bytes,
// big-endian]. Every channel of every connection on this server gets its own
// index, so no two channels ever search the same coinbase space. A freed
// index is quarantined until the chain tip moves on: jobs of the current tip
// may still carry it, and a reused index would let two channels' shares for
// those jobs collide.
//
// Several pool processes on one server_id (the pool's `workers`) partition
// the index space: worker w of n hands out only indices i with
// i ≡ w (mod n), so no prefix one worker gives out can come from another.

/** This allocator's share of the index space: indices ≡ `worker` (mod `workers`). */
export interface IndexPartition {
  worker: number;
  workers: number;
}

export class ExtranonceAllocator {
  readonly prefix_size: number;
  /** Indices this allocator can hand out (its partition of the index space). */
  readonly capacity: number;
  readonly partition: Readonly<IndexPartition>;
  /** Next never-used index, counted within the partition (index = worker + next × workers). */
  private next = 0;
  private readonly free: number[] = [];
  private quarantine: number[] = [];
  private inUse = 0;

  constructor(
    readonly server_id: number,
    prefix_size: number,
    partition: IndexPartition = { worker: 0, workers: 1 },
  ) {
    if (!Number.isInteger(server_id) || server_id < 0 || server_id > 255)
      throw new RangeError('server_id must be 0..255');
    if (!Number.isInteger(prefix_size) || prefix_size < 2 || prefix_size > 5)
      throw new RangeError('extranonce prefix size must be 2..5 bytes');
    this.prefix_size = prefix_size;
    const space = 2 ** (8 * (prefix_size - 1));
    const { worker, workers } = partition;
    if (!Number.isInteger(workers) || workers < 1 || workers > space)
      throw new RangeError(`workers must be 1..${space} for a ${prefix_size}-byte extranonce prefix`);
    if (!Number.isInteger(worker) || worker < 0 || worker >= workers)
      throw new RangeError(`worker must be 0..${workers - 1}`);
    this.partition = { worker, workers };
    this.capacity = Math.floor((space - 1 - worker) / workers) + 1;
  }

  /** Channels currently holding an index. */
  get allocated(): number {
    return this.inUse;
  }

  /** A fresh index, or null when every index is taken or quarantined. */
  allocate(): { index: number; prefix: Uint8Array } | null {
    let index: number | undefined;
    if (this.next < this.capacity) index = this.partition.worker + this.next++ * this.partition.workers;
    else index = this.free.pop();
    if (index === undefined) return null;
    this.inUse++;
    return { index, prefix: this.prefixOf(index) };
  }

  /** Gives an index back; it becomes reusable after the next chain tip. */
  release(index: number): void {
    this.inUse--;
    this.quarantine.push(index);
  }

  /** Called on every new prev hash: indices freed before it can be handed out again. */
  newTip(): void {
    for (const i of this.quarantine) this.free.push(i);
    this.quarantine = [];
  }

  prefixOf(index: number): Uint8Array {
    const out = new Uint8Array(this.prefix_size);
    out[0] = this.server_id;
    let v = index;
    for (let i = this.prefix_size - 1; i >= 1; i--) {
      out[i] = v % 256;
      v = Math.floor(v / 256);
    }
    return out;
  }
}
