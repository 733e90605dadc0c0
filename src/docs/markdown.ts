/**
 * Markdown for descriptions and docs blocks, rendered by markdown-it (CommonMark, tables,
 * autolinks) with what makes it safe to show other people's text:
 * raw HTML is shown as text, only http(s), mailto and relative links survive, external
 * links open without a referrer, and images load only from relative or data:image URLs
 * (a remote image becomes a link) so a rendered page never contacts another host.
 * Task list items (`- [x] done`) get a disabled checkbox.
 * Pure: no DOM, no Node.
 */
import MarkdownIt from 'markdown-it';
import type { StateCore, Token } from 'markdown-it';

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** Links: web, mail, relative and #fragments; never javascript:, data:, vbscript:, file:… */
function isSafeLink(url: string): boolean {
  const u = url.trim();
  return /^(https?:|mailto:)/i.test(u) || (!SCHEME.test(u) && !u.startsWith('//'));
}

/** Images: relative paths or inline raster data, nothing that makes a request to another host. */
function isLocalImage(url: string): boolean {
  const u = url.trim();
  if (/^data:image\/(png|gif|jpeg|webp);/i.test(u)) return true;
  return !SCHEME.test(u) && !u.startsWith('//');
}

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false });
// markdown-it's own filter already refuses javascript: and friends; data:image must pass it so
// inline images work, and the safety rule below decides what each link or image may become.
md.validateLink = (url) => isSafeLink(url) || isLocalImage(url);

function text(state: StateCore, content: string): Token {
  const t = new state.Token('text', '', 0);
  t.content = content;
  return t;
}

/** Links that are not safe lose their link; remote images become links; external links get rel and target. */
function safety(state: StateCore): void {
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const out: Token[] = [];
    const dropClose: boolean[] = [];
    for (const t of block.children) {
      if (t.type === 'link_open') {
        const href = t.attrGet('href') ?? '';
        const safe = isSafeLink(href);
        dropClose.push(!safe);
        if (!safe) continue;
        if (/^(https?:|mailto:)/i.test(href.trim())) {
          t.attrSet('rel', 'noopener noreferrer');
          t.attrSet('target', '_blank');
        }
        out.push(t);
      } else if (t.type === 'link_close') {
        if (!dropClose.pop()) out.push(t);
      } else if (t.type === 'image') {
        const src = t.attrGet('src') ?? '';
        if (isLocalImage(src)) {
          out.push(t);
          continue;
        }
        const alt = t.children?.map((c) => c.content).join('') || src;
        if (isSafeLink(src)) {
          const open = new state.Token('link_open', 'a', 1);
          open.attrs = [
            ['href', src],
            ['rel', 'noopener noreferrer'],
            ['target', '_blank'],
          ];
          out.push(open, text(state, alt), new state.Token('link_close', 'a', -1));
        } else out.push(text(state, alt));
      } else out.push(t);
    }
    block.children = out;
  }
}

/** `- [ ] todo` and `- [x] done` become list items with a disabled checkbox. */
function taskLists(state: StateCore): void {
  const tokens = state.tokens;
  for (let k = 2; k < tokens.length; k++) {
    const inline = tokens[k]!;
    if (
      inline.type !== 'inline' ||
      tokens[k - 1]!.type !== 'paragraph_open' ||
      tokens[k - 2]!.type !== 'list_item_open'
    )
      continue;
    const first = inline.children?.[0];
    const m = first?.type === 'text' ? /^\[([ xX])\]\s+/.exec(first.content) : null;
    if (!first || !m) continue;
    first.content = first.content.slice(m[0].length);
    const box = new state.Token('html_inline', '', 0);
    box.content = `<input type="checkbox" class="task" disabled${m[1] === ' ' ? '' : ' checked'}> `;
    inline.children!.unshift(box);
    tokens[k - 2]!.attrJoin('class', 'task-item');
  }
}

md.core.ruler.push('kiln_safety', safety);
md.core.ruler.push('kiln_task_lists', taskLists);

/** Render Markdown to safe HTML. */
export function renderMarkdown(src: string | null | undefined): string {
  if (!src) return '';
  return md.render(src).trim();
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
