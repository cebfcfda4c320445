// `id IN (?, ?, …)` lists bound as parameters, in chunks both engines accept:
// SQLite binds at most 32,766 parameters per statement and PostgreSQL 65,535.
// Each chunk's list is padded to the next power of two by repeating its last
// id (the answer is the same), so a query takes one of a few texts and each
// stays prepared instead of one statement per list length.

/** Ids bound per statement at most. */
export const IN_LIST_MAX = 5000;

const lists = new Map<number, string>();

/** `(?, ?, …)` with n placeholders. */
export function placeholderList(n: number): string {
  let s = lists.get(n);
  if (s === undefined) lists.set(n, (s = `(${Array.from({ length: n }, () => '?').join(', ')})`));
  return s;
}

/**
 * Runs `read` once per chunk of at most IN_LIST_MAX ids, with the chunk's
 * placeholder list (for `IN …`) and the ids to bind, and returns every row of
 * every chunk. No query runs for no ids.
 */
export async function readByIds<T>(
  ids: readonly number[],
  read: (list: string, ids: number[]) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += IN_LIST_MAX) {
    const chunk = ids.slice(i, i + IN_LIST_MAX);
    let n = 1;
    while (n < chunk.length) n *= 2;
    n = Math.min(n, IN_LIST_MAX);
    const last = chunk[chunk.length - 1]!;
    while (chunk.length < n) chunk.push(last);
    for (const row of await read(placeholderList(n), chunk)) out.push(row);
  }
  return out;
}
