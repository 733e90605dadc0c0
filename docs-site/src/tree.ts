/**
 * Sidebar navigation: the project tree (package → folders → files, sources by
 * source name, exposures) and the database tree (database → schema → relation).
 * Folders render their children only when opened, so a 10,000-node project costs
 * nothing until someone looks.
 */
import { escapeHtml as esc } from '../../src/docs/markdown.js';
import { type Db, displayName, nodeHref, statusClass, statusOf } from './db.js';

interface Folder {
  key: string;
  label: string;
  folders: Map<string, Folder>;
  leaves: number[];
  count: number;
}

const PAGE = 300;

function folder(key: string, label: string): Folder {
  return { key, label, folders: new Map(), leaves: [], count: 0 };
}

function child(parent: Folder, label: string): Folder {
  let f = parent.folders.get(label);
  if (!f) { f = folder(`${parent.key}/${label}`, label); parent.folders.set(label, f); }
  return f;
}

const PROJECT_TYPES = new Set(['model', 'seed', 'snapshot', 'analysis', 'macro', 'exposure', 'metric', 'semantic_model', 'saved_query', 'source']);
const DB_TYPES = new Set(['model', 'seed', 'snapshot', 'source']);

export function buildProjectTree(db: Db): Folder {
  const root = folder('p', 'Project');
  db.nodes.forEach((n, i) => {
    if (!PROJECT_TYPES.has(n.type)) return;
    const pkgLabel = n.pkg === db.data.project.name ? `${n.pkg} (this project)` : n.pkg;
    let f = child(root, pkgLabel);
    if (n.type === 'source') {
      f = child(child(f, 'Sources'), n.source ?? 'sources');
    } else if (n.type === 'exposure') {
      f = child(f, 'Exposures');
    } else {
      const parts = (n.path ?? `${n.type}s/${n.name}`).replace(/\\/g, '/').split('/');
      parts.pop();
      for (const p of parts) f = child(f, p);
    }
    f.leaves.push(i);
  });
  count(root);
  return root;
}

export function buildDatabaseTree(db: Db): Folder {
  const root = folder('d', 'Database');
  db.nodes.forEach((n, i) => {
    if (!DB_TYPES.has(n.type) || n.config?.enabled === false) return;
    const f = child(child(root, n.db ?? '(default)'), n.schema ?? '(default)');
    f.leaves.push(i);
  });
  count(root);
  return root;
}

function count(f: Folder): number {
  let c = f.leaves.length;
  for (const sub of f.folders.values()) c += count(sub);
  f.count = c;
  return c;
}

export class TreeView {
  private readonly open = new Set<string>();
  private readonly shown = new Map<string, number>();
  private current = -1;

  constructor(private readonly host: HTMLElement, private readonly db: Db, private readonly root: Folder, private readonly leafLabel: 'name' | 'relation') {
    // Open the first level, and the root package's first level too.
    for (const f of root.folders.values()) this.open.add(f.key);
    if (root.folders.size === 1) for (const f of [...root.folders.values()][0]!.folders.values()) if (root.key === 'p') this.open.add(f.key);
    host.addEventListener('click', (e) => {
      const btn = (e.target as HTMLElement).closest('button[data-key]');
      if (!btn) return;
      const key = btn.getAttribute('data-key')!;
      if (btn.classList.contains('more')) this.shown.set(key, (this.shown.get(key) ?? PAGE) + PAGE);
      else if (this.open.has(key)) this.open.delete(key);
      else this.open.add(key);
      this.render();
      (this.host.querySelector(`button[data-key="${cssEsc(key)}"]:not(.more)`) as HTMLElement | null)?.focus();
    });
    this.render();
  }

  /** Open the folders leading to node i and mark it current. */
  reveal(i: number): void {
    this.current = i;
    const path = this.findPath(this.root, i);
    if (path) for (const f of path) this.open.add(f.key);
    this.render();
    this.host.querySelector('.current')?.scrollIntoView({ block: 'nearest' });
  }

  private findPath(f: Folder, i: number): Folder[] | null {
    if (f.leaves.includes(i)) return [f];
    for (const sub of f.folders.values()) {
      const p = this.findPath(sub, i);
      if (p) return [f, ...p];
    }
    return null;
  }

  render(): void {
    this.host.innerHTML = `<ul class="tree" role="tree">${this.renderChildren(this.root)}</ul>`;
  }

  private renderChildren(f: Folder): string {
    let html = '';
    const subs = [...f.folders.values()].sort((a, b) => a.label.localeCompare(b.label));
    for (const sub of subs) {
      const isOpen = this.open.has(sub.key);
      html += `<li role="treeitem" aria-expanded="${isOpen}"><button type="button" class="fold" data-key="${esc(sub.key)}" aria-expanded="${isOpen}"><span class="caret" aria-hidden="true">${isOpen ? '▾' : '▸'}</span>${esc(sub.label)} <span class="count">${sub.count}</span></button>`;
      if (isOpen) html += `<ul role="group">${this.renderChildren(sub)}</ul>`;
      html += '</li>';
    }
    const leaves = f.leaves.slice().sort((a, b) => this.label(a).localeCompare(this.label(b)));
    const limit = this.shown.get(f.key) ?? PAGE;
    for (const i of leaves.slice(0, limit)) {
      const n = this.db.nodes[i]!;
      const st = statusOf(n);
      html += `<li role="treeitem"><a href="${esc(nodeHref(n))}" class="leaf t-${esc(n.type)}${i === this.current ? ' current' : ''}"${i === this.current ? ' aria-current="page"' : ''}><span class="dot s-${statusClass(st)}" aria-hidden="true"></span>${esc(this.label(i))}${st ? `<span class="sr-only"> (${esc(st)})</span>` : ''}</a></li>`;
    }
    if (leaves.length > limit) html += `<li><button type="button" class="more" data-key="${esc(f.key)}">Show ${Math.min(PAGE, leaves.length - limit)} more of ${leaves.length - limit}</button></li>`;
    return html;
  }

  private label(i: number): string {
    const n = this.db.nodes[i]!;
    return this.leafLabel === 'relation' ? n.alias ?? n.identifier ?? n.name : n.type === 'source' ? n.name : displayName(n);
  }
}

function cssEsc(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}
