// Credentials for Bitcoin Core's RPC: a fixed user/password, or the cookie
// file the node rewrites with a fresh password each time it starts.
import { readFile } from 'node:fs/promises';

export type RpcAuth = { user: string; password: string } | { cookieFile: string } | { none: true };

/** Produces the Authorization header; the cookie is re-read after `invalidate()`. */
export class Credentials {
  private cached: string | undefined;

  constructor(private readonly auth: RpcAuth) {}

  get usesCookie(): boolean {
    return 'cookieFile' in this.auth;
  }

  get cookieFile(): string | undefined {
    return 'cookieFile' in this.auth ? this.auth.cookieFile : undefined;
  }

  /** Forget the cached cookie so the next request reads the file again (node restarted). */
  invalidate(): void {
    if (this.usesCookie) this.cached = undefined;
  }

  /** The header value, or undefined for no auth. Throws the fs error if the cookie can't be read. */
  async header(): Promise<string | undefined> {
    const a = this.auth;
    if ('none' in a) return undefined;
    if ('user' in a) return basic(`${a.user}:${a.password}`);
    if (this.cached === undefined) {
      // The file holds `__cookie__:<hex>`; a trailing newline is tolerated.
      const text = (await readFile(a.cookieFile, 'utf8')).trim();
      if (!text.includes(':')) throw new Error(`cookie file ${a.cookieFile} does not hold "user:password"`);
      this.cached = basic(text);
    }
    return this.cached;
  }
}

function basic(userPass: string): string {
  return 'Basic ' + Buffer.from(userPass, 'utf8').toString('base64');
}
