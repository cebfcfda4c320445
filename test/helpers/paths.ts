// Locations the tests share: the compiled CLI and the copied external vectors.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Repository root (tests run from dist/test/…, two levels below it). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');
export const VECTORS = join(ROOT, 'test', 'vectors');

export function vectorPath(...parts: string[]): string {
  return join(VECTORS, ...parts);
}
