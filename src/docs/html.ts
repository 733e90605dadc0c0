/**
 * The HTML shell of the documentation site and the script that carries its data.
 * Pure: no DOM, no Node.
 */
import { escapeHtml } from './markdown.js';
import type { SiteData } from './model.js';

export const DATA_GLOBAL = '__KILN_DATA__';

/**
 * JavaScript that assigns the site data to a global. JSON.parse of a string literal
 * parses faster than an object literal, and `<` is escaped so the text is also safe
 * inside an inline <script> element.
 */
export function dataScript(data: SiteData): string {
  return [...dataScriptChunks(data)].join('');
}

/**
 * dataScript in pieces, a node at a time (the nodes last), for writing it as it is made:
 * at 10,000 models the whole text is tens of megabytes.
 */
export function* dataScriptChunks(data: SiteData): Generator<string> {
  const { nodes, ...rest } = data;
  const head = JSON.stringify(rest);
  const opening = `${head.slice(0, -1)}${head === '{}' ? '' : ','}"nodes":[`;
  yield `window.${DATA_GLOBAL}=JSON.parse('${inStringLiteral(opening)}`;
  for (let i = 0; i < nodes.length; i++) yield inStringLiteral(`${i ? ',' : ''}${JSON.stringify(nodes[i])}`);
  yield `]}');\n`;
}

/**
 * JSON text as the inside of a single-quoted script string; each character on its own, so pieces can be escaped one by
 * one.
 */
function inStringLiteral(json: string): string {
  return json.replace(/[\\'<\u2028\u2029]/g, (c) =>
    c === '\\' ? '\\\\' : c === "'" ? "\\'" : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Make text safe to place inside an inline <script> or <style> element. */
function inlineSafe(code: string, tag: 'script' | 'style'): string {
  return code.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

export interface ShellParts {
  title: string;
  /** External asset names (index.html) or inline text (static_index.html). */
  css: { href: string } | { inline: string };
  data: { src: string } | { inline: string };
  app: { src: string } | { inline: string };
}

export function renderShell(parts: ShellParts): string {
  const css =
    'href' in parts.css
      ? `<link rel="stylesheet" href="${escapeHtml(parts.css.href)}">`
      : `<style>${inlineSafe(parts.css.inline, 'style')}</style>`;
  const script = (p: { src: string } | { inline: string }) =>
    'src' in p ? `<script src="${escapeHtml(p.src)}"></script>` : `<script>${inlineSafe(p.inline, 'script')}</script>`;
  return (
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src ` +
    `'self' 'unsafe-inline' data: blob:; script-src 'self' 'unsafe-inline'; ` +
    `connect-src 'none'; img-src 'self' data: blob:; font-src 'self' ` +
    `data:; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(parts.title)}</title>
${css}
</head>
<body>
<div id="app"><p class="boot">Loading documentation…</p></div>
<noscript><p class="boot">This documentation site needs JavaScript.</p></noscript>
${script(parts.data)}
${script(parts.app)}
</body>
</html>
`
  );
}
