// The one escaping rule every page uses. Templates are written with the `html`
// tag: each interpolated value is escaped unless it is already Html (built by
// `html` itself or marked with `trusted`). The escaping is safe in text and in
// double-quoted attribute values alike. Miners choose their worker names and
// user agents, so everything from the store is hostile until it passes here.

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

// Control characters (C0 except tab/newline, DEL, C1) and lone surrogates are
// shown as U+FFFD: they are never meaningful in a name and can confuse terminals
// or copy/paste.
const CONTROL =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Escapes text for HTML text and quoted attribute contexts. */
export function escapeHtml(value: unknown): string {
  const s = value === null || value === undefined ? '' : String(value);
  return s.replace(CONTROL, '\ufffd').replace(/[&<>"'`]/g, (c) => ENTITIES[c] as string);
}

/** Marks markup the program itself wrote as safe (never pass miner data). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

function part(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === false || v === null || v === undefined) return '';
  return escapeHtml(v);
}

/** Tagged template: `html\`<td>${name}</td>\`` escapes `name`; arrays of Html are joined. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + (strings[i + 1] as string);
  return new Html(out);
}

/** Longest text put in a title attribute. */
export const TITLE_MAX = 256;

/** Shortens hostile long strings for display (the full value stays in the title attribute). */
export function clip(s: string, max = 64): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max - 1).join('') + '…';
}
