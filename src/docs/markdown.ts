/**
 * A small, safe Markdown renderer for descriptions and docs blocks.
 * Everything is HTML-escaped first; only a fixed set of constructs becomes markup
 * (headings, paragraphs, lists, block quotes, fenced code, tables, rules, emphasis,
 * inline code, links). Images load only from relative or data: URLs, so a rendered page
 * never makes a request to another host; other images become plain links.
 * Pure: no DOM, no Node.
 */

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function safeUrl(url: string): string | null {
  const u = url.trim();
  if (/^(https?:|mailto:)/i.test(u)) return u;
  if (/^[a-z][a-z0-9+.-]*:/i.test(u)) return null; // javascript:, data:, vbscript:…
  return u; // relative or #fragment
}

function isLocalImage(url: string): boolean {
  const u = url.trim();
  if (/^data:image\/(png|gif|jpeg|webp);/i.test(u)) return true;
  return !/^[a-z][a-z0-9+.-]*:/i.test(u) && !u.startsWith('//');
}

/** Inline markup on one already-unescaped text run. */
export function renderInline(text: string): string {
  const codes: string[] = [];
  // Protect code spans first.
  let s = text.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_m, _t, code: string) => {
    codes.push(`<code>${escapeHtml(code.trim())}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  s = escapeHtml(s);
  // Images and links. Brackets and parens are plain characters after escaping.
  s = s.replace(/!\[([^\]]*)\]\(([^)\s]+)(?:\s+&quot;[^&]*&quot;)?\)/g, (_m, alt: string, url: string) => {
    const raw = url.replace(/&amp;/g, '&');
    if (isLocalImage(raw)) return `<img alt="${alt}" src="${escapeHtml(raw)}">`;
    const safe = safeUrl(raw);
    return safe ? `<a href="${escapeHtml(safe)}" rel="noopener noreferrer" target="_blank">${alt || escapeHtml(safe)}</a>` : alt;
  });
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)(?:\s+&quot;[^&]*&quot;)?\)/g, (_m, label: string, url: string) => {
    const safe = safeUrl(url.replace(/&amp;/g, '&'));
    if (!safe) return label;
    const ext = /^(https?:|mailto:)/i.test(safe);
    return `<a href="${escapeHtml(safe)}"${ext ? ' rel="noopener noreferrer" target="_blank"' : ''}>${label}</a>`;
  });
  s = s.replace(/&lt;((?:https?:\/\/|mailto:)[^\s&]+)&gt;/g, (_m, url: string) => `<a href="${url}" rel="noopener noreferrer" target="_blank">${url}</a>`);
  s = s.replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '<strong>$2</strong>');
  s = s.replace(/(^|[^\w*])\*(?=\S)([^*]*?\S)\*(?!\w)/g, '$1<em>$2</em>');
  s = s.replace(/(^|[^\w])_(?=\S)([^_]*?\S)_(?!\w)/g, '$1<em>$2</em>');
  s = s.replace(/~~(?=\S)([\s\S]*?\S)~~/g, '<del>$1</del>');
  s = s.replace(/ {2,}\n/g, '<br>\n');
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => codes[Number(i)]!);
}

function splitRow(line: string): string[] {
  let t = line.trim();
  if (t.startsWith('|')) t = t.slice(1);
  if (t.endsWith('|') && !t.endsWith('\\|')) t = t.slice(0, -1);
  return t.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

const TABLE_SEP = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;

/** Render a Markdown document to HTML. */
export function renderMarkdown(src: string | null | undefined): string {
  if (!src) return '';
  const lines = src.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  // Strip common indentation (docs blocks are often indented in YAML).
  const indents = lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length);
  const common = indents.length ? Math.min(...indents) : 0;
  const ls = common ? lines.map((l) => l.slice(Math.min(common, /^ */.exec(l)![0].length))) : lines;
  const out: string[] = [];
  let i = 0;
  while (i < ls.length) {
    const line = ls[i]!;
    if (!line.trim()) { i++; continue; }
    const fence = /^\s*(```+|~~~+)\s*([\w+-]*)/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < ls.length && !ls[i]!.trim().startsWith(fence[1]!)) body.push(ls[i++]!);
      i++;
      const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : '';
      out.push(`<pre><code${lang}>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) { out.push(`<h${h[1]!.length}>${renderInline(h[2]!)}</h${h[1]!.length}>`); i++; continue; }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) { out.push('<hr>'); i++; continue; }
    if (/^\s*>/.test(line)) {
      const body: string[] = [];
      while (i < ls.length && /^\s*>/.test(ls[i]!)) body.push(ls[i++]!.replace(/^\s*> ?/, ''));
      out.push(`<blockquote>${renderMarkdown(body.join('\n'))}</blockquote>`);
      continue;
    }
    if (line.includes('|') && i + 1 < ls.length && TABLE_SEP.test(ls[i + 1]!)) {
      const head = splitRow(line);
      const aligns = splitRow(ls[i + 1]!).map((c) => (c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : c.startsWith(':') ? 'left' : ''));
      i += 2;
      const rows: string[][] = [];
      while (i < ls.length && ls[i]!.includes('|') && ls[i]!.trim()) rows.push(splitRow(ls[i++]!));
      const cell = (tag: string, c: string, k: number) => `<${tag}${aligns[k] ? ` style="text-align:${aligns[k]}"` : ''}>${renderInline(c)}</${tag}>`;
      out.push(`<table><thead><tr>${head.map((c, k) => cell('th', c, k)).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${head.map((_c, k) => cell('td', r[k] ?? '', k)).join('')}</tr>`).join('')}</tbody></table>`);
      continue;
    }
    const li = LIST_ITEM.exec(line);
    if (li) {
      const ordered = /\d/.test(li[2]!);
      const baseIndent = li[1]!.length;
      const items: string[][] = [];
      while (i < ls.length) {
        const l = ls[i]!;
        const m = LIST_ITEM.exec(l);
        if (m && m[1]!.length <= baseIndent + 1 && /\d/.test(m[2]!) === ordered) { items.push([m[3]!]); i++; continue; }
        if (!l.trim()) {
          const nxt = ls[i + 1];
          if (nxt !== undefined && /^\s+\S/.test(nxt) && items.length) { items[items.length - 1]!.push(''); i++; continue; }
          break;
        }
        if (items.length && (/^\s+\S/.test(l) || !LIST_ITEM.test(l))) {
          if (!/^\s/.test(l) && (/^#{1,6}\s/.test(l) || /^\s*>/.test(l))) break;
          items[items.length - 1]!.push(l.replace(/^\s{1,4}/, ''));
          i++;
          continue;
        }
        break;
      }
      const tag = ordered ? 'ol' : 'ul';
      const start = ordered ? Number.parseInt(li[2]!, 10) : 1;
      const body = items.map((it) => {
        const nested = it.slice(1).some((x) => LIST_ITEM.test(x) || !x.trim());
        return `<li>${nested ? renderMarkdown(it.join('\n')).replace(/^<p>([\s\S]*?)<\/p>/, '$1') : renderInline(it.join('\n'))}</li>`;
      }).join('');
      out.push(`<${tag}${ordered && start !== 1 ? ` start="${start}"` : ''}>${body}</${tag}>`);
      continue;
    }
    // Paragraph: until a blank line or the start of another block.
    const para: string[] = [];
    while (i < ls.length) {
      const l = ls[i]!;
      if (!l.trim() || /^(#{1,6})\s/.test(l) || /^\s*(```|~~~)/.test(l) || /^\s*>/.test(l) || (para.length && LIST_ITEM.test(l))) break;
      if (l.includes('|') && i + 1 < ls.length && TABLE_SEP.test(ls[i + 1]!)) break;
      para.push(l);
      i++;
    }
    out.push(`<p>${renderInline(para.join('\n'))}</p>`);
  }
  return out.join('\n');
}

/** Plain text of a Markdown string (for search snippets and tooltips). */
export function markdownToText(src: string | null | undefined): string {
  if (!src) return '';
  return src
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/[#>*_`~|]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
