// The frame every page shares: header with navigation, and the body with the
// refresh interval the script reads.
import { html, type Html } from '../escape.js';
import { CSRF_FIELD } from '../auth/cookies.js';

export interface PageUser {
  account: string;
}

export interface LayoutOptions {
  title: string;
  user: PageUser | null;
  /** CSRF token for the header's log-out form (when logged in). */
  csrf: string;
  /** Seconds between refreshes of [data-live] parts; 0 = none. */
  refresh?: number;
}

/** A hidden CSRF field for forms. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}" />`;
}

export function layout(o: LayoutOptions, body: Html): Html {
  const nav = o.user
    ? html`<a href="/account">Account: ${o.user.account}</a>
        <form method="post" action="/logout">
          ${csrfField(o.csrf)}<button type="submit" id="logout">Log out</button>
        </form>`
    : html`<a href="/login">Log in</a> <a href="/signup">Sign up</a>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${o.title} · Strata pool</title>
        <link rel="stylesheet" href="/style.css" />
        <script src="/app.js" defer></script>
      </head>
      <body data-refresh="${o.refresh ?? 0}">
        <header>
          <a class="brand" href="/">Strata pool</a>
          <a href="/">Pool</a>
          <a href="/api/stats">API</a>
          <nav>${nav}</nav>
        </header>
        <main>${body}</main>
      </body>
    </html> `;
}

/** A labelled figure in the stats grid. */
export function stat(label: string, value: unknown, id?: string): Html {
  return html`<div class="stat">
    <div class="label">${label}</div>
    <div class="value" ${id ? html` id="${id}"` : ''}>${value}</div>
  </div>`;
}
