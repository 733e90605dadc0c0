/**
 * Sidebar navigation: the project tree (package → folders → files, sources by
 * source name, exposures) and the database tree (database → schema → relation).
 * Folders render their children only when opened, so a 10,000-node project costs
 * nothing until someone looks.
 */
import { escapeHtml as esc } from '../../src/docs/markdown.js';
import { naturalCompare } from './clusters.js';
import { type Db, displayName, folderPath, nodeHref, shownStatus, statusClass } from './db.js';

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
  if (!f) {
    f = folder(`${parent.key}/${label}`, label);
    parent.folders.set(label, f);
  }
  return f;
}

const PROJECT_TYPES = new Set([
  'model',
  'seed',
  'snapshot',
  'analysis',
  'macro',
  'exposure',
  'metric',
  'semantic_model',
  'saved_query',
  'source',
  'unit_test',
]);
const DB_TYPES = new Set(['model', 'seed', 'snapshot', 'source']);

export function buildProjectTree(db: Db): Folder {
  const root = folder('p', 'Project');
  db.nodes.forEach((n, i) => {
    if (!PROJECT_TYPES.has(n.type) || n.hidden) return;
    const [pkg, ...dirs] = folderPath(n);
    let f = child(root, pkg === db.data.project.name ? `${pkg} (this project)` : pkg!);
    for (const d of dirs) f = child(f, d);
    f.leaves.push(i);
  });
  count(root);
  return root;
}

export function buildDatabaseTree(db: Db): Folder {
  const root = folder('d', 'Database');
  db.nodes.forEach((n, i) => {
    if (!DB_TYPES.has(n.type) || n.config?.enabled === false || n.hidden) return;
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

/**
 * An ARIA tree: one Tab stop (the current item), arrow keys move, open and close,
 * Home and End jump, Enter opens. Items are the buttons and links themselves.
 */
export class TreeView {
  private readonly open = new Set<string>();
  private readonly shown = new Map<string, number>();
  private current = -1;
  /** The item holding the tree's one Tab stop: a folder key, `n:<index>` or `more:<key>`. */
  private active = '';

  constructor(
    private readonly host: HTMLElement,
    private readonly db: Db,
    private readonly root: Folder,
    private readonly leafLabel: 'name' | 'relation',
  ) {
    // Open the first level, and the root package's first level too.
    for (const f of root.folders.values()) this.open.add(f.key);
    if (root.folders.size === 1)
      for (const f of [...root.folders.values()][0]!.folders.values()) if (root.key === 'p') this.open.add(f.key);
    host.addEventListener('click', (e) => {
      const btn = (e.target as HTMLElement).closest('button[data-key]');
      if (!btn) return;
      const key = btn.getAttribute('data-key')!;
      if (btn.classList.contains('more')) {
        this.shown.set(key, (this.shown.get(key) ?? PAGE) + PAGE);
        this.active = key;
      } else {
        this.toggle(key, !this.open.has(key));
        return;
      }
      this.render();
      this.focusActive();
    });
    host.addEventListener('keydown', (e) => this.onKey(e));
    host.addEventListener('focusin', (e) => {
      const item = (e.target as HTMLElement).closest<HTMLElement>('[role=treeitem]');
      if (item) this.setActive(item);
    });
    this.render();
  }

  /** Open the folders leading to node i and mark it current; -1 marks nothing (another page is open). */
  reveal(i: number): void {
    if (i === this.current) return;
    this.current = i;
    if (i >= 0) {
      const path = this.findPath(this.root, i);
      if (path) for (const f of path) this.open.add(f.key);
      this.active = `n:${i}`;
    }
    this.render();
    if (i >= 0) this.host.querySelector('.current')?.scrollIntoView({ block: 'nearest' });
  }

  private toggle(key: string, open: boolean): void {
    if (open) this.open.add(key);
    else this.open.delete(key);
    this.active = key;
    this.render();
    this.focusActive();
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
    const label = this.leafLabel === 'name' ? 'Project' : 'Database';
    const children = this.renderChildren(this.root, 1);
    this.host.innerHTML = `<ul class="tree" role="tree" aria-label="${label}">${children}</ul>`;
    const items = this.items();
    const tabStop =
      items.find((el) => itemKey(el) === this.active) ??
      items.find((el) => el.classList.contains('current')) ??
      items[0];
    if (tabStop) {
      tabStop.tabIndex = 0;
      this.active = itemKey(tabStop);
    }
  }

  private items(): HTMLElement[] {
    return [...this.host.querySelectorAll<HTMLElement>('[role=treeitem]')];
  }

  private setActive(item: HTMLElement): void {
    for (const el of this.host.querySelectorAll<HTMLElement>('[role=treeitem][tabindex="0"]')) el.tabIndex = -1;
    item.tabIndex = 0;
    this.active = itemKey(item);
  }

  private focusActive(): void {
    const el = this.items().find((x) => itemKey(x) === this.active);
    el?.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const item = (e.target as HTMLElement).closest<HTMLElement>('[role=treeitem]');
    if (!item) return;
    const items = this.items();
    const k = items.indexOf(item);
    const isFolder = item.classList.contains('fold');
    const key = item.getAttribute('data-key') ?? '';
    const go = (el: HTMLElement | undefined) => {
      if (el) {
        this.setActive(el);
        el.focus();
      }
    };
    switch (e.key) {
      case 'ArrowDown':
        go(items[k + 1]);
        break;
      case 'ArrowUp':
        go(items[k - 1]);
        break;
      case 'Home':
        go(items[0]);
        break;
      case 'End':
        go(items[items.length - 1]);
        break;
      case 'ArrowRight':
        if (isFolder && !this.open.has(key)) this.toggle(key, true);
        else if (isFolder) go(items[k + 1]);
        break;
      case 'ArrowLeft':
        if (isFolder && this.open.has(key)) this.toggle(key, false);
        else go(this.parentItem(item));
        break;
      case ' ':
        if (!isFolder) return;
        this.toggle(key, !this.open.has(key));
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  private parentItem(item: HTMLElement): HTMLElement | undefined {
    const group = item.closest('li')?.parentElement?.closest('li');
    return group?.querySelector<HTMLElement>(':scope > [role=treeitem]') ?? undefined;
  }

  private renderChildren(f: Folder, level: number): string {
    let html = '';
    const subs = [...f.folders.values()].sort((a, b) => naturalCompare(a.label, b.label));
    const leaves = f.leaves.slice().sort((a, b) => naturalCompare(this.label(a), this.label(b)));
    const limit = this.shown.get(f.key) ?? PAGE;
    const setSize = subs.length + Math.min(limit, leaves.length) + (leaves.length > limit ? 1 : 0);
    let pos = 0;
    const aria = () => `aria-level="${level}" aria-setsize="${setSize}" aria-posinset="${++pos}" tabindex="-1"`;
    for (const sub of subs) {
      const isOpen = this.open.has(sub.key);
      html +=
        `<li role="none"><button type="button" role="treeitem" class="fold" ` +
        `data-key="${esc(sub.key)}" aria-expanded="${isOpen}" ${aria()}><span ` +
        `class="caret" aria-hidden="true">${isOpen ? '▾' : '▸'}</span>${esc(sub.label)} ` +
        `<span class="count">${sub.count}</span></button>`;
      if (isOpen) html += `<ul role="group">${this.renderChildren(sub, level + 1)}</ul>`;
      html += '</li>';
    }
    for (const i of leaves.slice(0, limit)) {
      const n = this.db.nodes[i]!;
      const st = shownStatus(this.db, i);
      const cur = i === this.current;
      html +=
        `<li role="none"><a role="treeitem" ${aria()} data-n="${i}" href="${esc(nodeHref(n))}" ` +
        `class="leaf t-${esc(n.type)}${cur ? ' current' : ''}"${cur ? ' aria-current="page"' : ''}><span ` +
        `class="dot s-${statusClass(st)}" aria-hidden="true"></span>${esc(this.label(i))}` +
        `${st ? `<span class="sr-only"> (${esc(st)})</span>` : ''}</a></li>`;
    }
    if (leaves.length > limit)
      html +=
        `<li role="none"><button type="button" role="treeitem" ${aria()} ` +
        `class="more" data-key="${esc(f.key)}">Show ${Math.min(PAGE, leaves.length - limit)} ` +
        `more of ${leaves.length - limit}</button></li>`;
    return html;
  }

  private label(i: number): string {
    const n = this.db.nodes[i]!;
    return this.leafLabel === 'relation'
      ? (n.alias ?? n.identifier ?? n.name)
      : n.type === 'source'
        ? n.name
        : displayName(n);
  }
}

function itemKey(el: HTMLElement): string {
  const n = el.getAttribute('data-n');
  if (n !== null) return `n:${n}`;
  return (el.classList.contains('more') ? 'more:' : '') + (el.getAttribute('data-key') ?? '');
}
