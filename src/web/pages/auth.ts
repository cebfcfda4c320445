// Sign-up and log-in forms. A failed log-in shows one message whatever went
// wrong, so the page does not tell which account names exist.
import { html, type Html } from '../escape.js';
import { csrfField, layout } from './layout.js';

export const LOGIN_FAILED = 'Wrong account name or password.';
export const LOGIN_LOCKED = 'Too many failed log-ins. Try again later.';

export interface FormState {
  name?: string;
  error?: string;
}

export function loginPage(csrf: string, state: FormState = {}): Html {
  const body = html`<h1>Log in</h1>
    <section class="card">
      ${state.error ? html`<p class="error" id="form-error" role="alert">${state.error}</p>` : ''}
      <form class="stack" method="post" action="/login">
        ${csrfField(csrf)}
        <label for="name">Account name</label>
        <input
          type="text"
          id="name"
          name="name"
          autocomplete="username"
          required
          maxlength="64"
          value="${state.name ?? ''}"
        />
        <label for="password">Password</label>
        <input
          type="password"
          id="password"
          name="password"
          autocomplete="current-password"
          required
          maxlength="1024"
        />
        <button class="primary" type="submit" id="login-submit">Log in</button>
      </form>
      <p class="muted">No account yet? <a href="/signup">Sign up</a>.</p>
    </section>`;
  return layout({ title: 'Log in', user: null, csrf }, body);
}

export function signupPage(csrf: string, mode: string, state: FormState = {}): Html {
  const nameHelp =
    mode === 'solo'
      ? 'Your payout address: in solo mode you mine with it as the account name.'
      : 'Letters, digits, "-" and "_", up to 64 characters. Miners log in as name.worker.';
  const body = html`<h1>Sign up</h1>
    <section class="card">
      ${state.error ? html`<p class="error" id="form-error" role="alert">${state.error}</p>` : ''}
      <form class="stack" method="post" action="/signup">
        ${csrfField(csrf)}
        <label for="name">Account name</label>
        <input
          type="text"
          id="name"
          name="name"
          autocomplete="username"
          required
          maxlength="100"
          value="${state.name ?? ''}"
        />
        <p class="muted">${nameHelp}</p>
        <label for="password">Password (at least 10 characters)</label>
        <input
          type="password"
          id="password"
          name="password"
          autocomplete="new-password"
          required
          minlength="10"
          maxlength="1024"
        />
        <button class="primary" type="submit" id="signup-submit">Create account</button>
      </form>
    </section>`;
  return layout({ title: 'Sign up', user: null, csrf }, body);
}

export function messagePage(title: string, message: string, csrf: string): Html {
  return layout(
    { title, user: null, csrf },
    html`<h1>${title}</h1>
      <section class="card">
        <p>${message}</p>
        <p><a href="/">Back to the pool</a></p>
      </section>`,
  );
}
