/** The header search box: results as you type, arrow keys and Enter to open. */
import { escapeHtml as esc, markdownToText } from '../../src/docs/markdown.js';
import type { SearchResult } from './search-index.js';
import { type Db, displayName, nodeHref, shownStatus } from './db.js';
import { badge, typeBadge } from './node-page.js';
import { perf } from './perf.js';

export interface ResultsOptions {
  /** Only these resource types (all when empty). */
  types?: ReadonlySet<string>;
  /** Show each result's description under it (the results page). */
  descriptions?: boolean;
}

export function resultsHtml(
  db: Db,
  q: string,
  limit: number,
  opts: ResultsOptions = {},
): { html: string } & Omit<SearchResult, 'hits'> {
  const { hits, total, byType, corrected } = db.search.search(q, limit, opts.types);
  const html = hits
    .map((h, k) => {
      const n = db.nodes[h.i]!;
      const desc = opts.descriptions && n.desc ? markdownToText(n.desc) : '';
      const descHtml = desc
        ? `<span class="sr-desc">${esc(desc.length > 200 ? desc.slice(0, 199) + '…' : desc)}</span>`
        : '';
      // Where the query matched, unless that is the description already shown.
      const snippet =
        h.snippet && !(descHtml && h.field === 'description')
          ? `<span class="sr-snip"><span class="sr-field">${h.field}:</span> ${esc(h.snippet)}</span>`
          : '';
      return (
        `<li role="option" id="sr-${k}" aria-selected="false"><a href="${esc(nodeHref(n))}" ` +
        `tabindex="-1">${typeBadge(n.type)} <span class="sr-name">${esc(displayName(n))}</span>` +
        `${badge(shownStatus(db, h.i))}${descHtml}${snippet}</a></li>`
      );
    })
    .join('');
  return { html, total, byType, ...(corrected ? { corrected } : {}) };
}

export function searchHref(q: string, type?: string): string {
  const p = new URLSearchParams({ q: q.trim() });
  if (type) p.set('type', type);
  return `#!/search?${p.toString()}`;
}

export function wireSearch(input: HTMLInputElement, list: HTMLElement, db: Db, navigate: (h: string) => void): void {
  let active = -1;
  const items = () => [...list.querySelectorAll<HTMLElement>('[role=option]')];
  const setActive = (k: number) => {
    const all = items();
    active = all.length ? (k + all.length) % all.length : -1;
    all.forEach((el, j) => el.setAttribute('aria-selected', String(j === active)));
    if (active >= 0) {
      input.setAttribute('aria-activedescendant', all[active]!.id);
      all[active]!.scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  };
  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    active = -1;
  };
  const run = () => {
    const t0 = performance.now();
    const q = input.value;
    if (!q.trim()) {
      list.innerHTML = '';
      close();
      return;
    }
    const { html, total, corrected } = resultsHtml(db, q, 30);
    const fixed = corrected
      ? `<li class="fixed" role="presentation">No match for <strong>${esc(q.trim())}</strong>; ` +
        `showing <strong>${esc(corrected)}</strong></li>`
      : '';
    list.innerHTML =
      fixed +
      (html || '<li class="empty" role="presentation">No matches</li>') +
      (total > 30
        ? `<li class="more" role="presentation"><a href="${searchHref(q)}">All ${total} results…</a></li>`
        : '');
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    setActive(html ? 0 : -1);
    perf('search', performance.now() - t0);
  };
  input.addEventListener('input', run);
  input.addEventListener('focus', () => {
    if (input.value.trim()) run();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive(active + 1);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive(active - 1);
    } else if (e.key === 'Escape') {
      close();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const a = items()[active]?.querySelector('a');
      if (a) {
        navigate(a.getAttribute('href')!);
        close();
        input.blur();
      } else if (input.value.trim()) navigate(searchHref(input.value.trim()));
    }
  });
  list.addEventListener('mousedown', (e) => e.preventDefault()); // keep focus in the box while clicking
  list.addEventListener('click', (e) => {
    const a = (e.target as HTMLElement).closest('a');
    if (!a) return;
    e.preventDefault();
    navigate(a.getAttribute('href')!);
    close();
    input.blur();
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
}
