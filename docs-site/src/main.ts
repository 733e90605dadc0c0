/** Entry point: reads the embedded data, draws the shell and routes on the URL hash. */
import './style.css';
import { escapeHtml as esc } from '../../src/docs/markdown.js';
import type { SiteData } from '../../src/docs/model.js';
import { type Db, loadDb } from './db.js';
import { parseHash, type Route } from './router.js';
import { buildDatabaseTree, buildProjectTree, TreeView } from './tree.js';
import { renderNodePage } from './node-page.js';
import { LineageView } from './lineage.js';
import {
  isKnownType,
  plural,
  renderList,
  renderNotFound,
  renderOverview,
  renderSearchPage,
  renderSourceList,
  typeCounts,
} from './pages.js';
import { renderRunPage } from './timeline.js';
import { wireSearch } from './search-box.js';
import { kilnGlobal, perf } from './perf.js';
import { initTheme } from './theme.js';

function shell(db: Db): string {
  const counts = typeCounts(db);
  const res = ['source', 'seed', 'snapshot', 'test', 'exposure', 'analysis', 'metric', 'macro']
    .filter((t) => counts.get(t))
    .map((t) => `<li><a href="#!/list/${t}">${plural(t)} <span class="count">${counts.get(t)}</span></a></li>`)
    .join('');
  return (
    `<button type="button" class="skip">Skip to content</button>
<header class="top">
<a class="brand" href="#!/overview">${esc(db.data.project.name)}</a>
<div class="search"><label class="sr-only" for="q">Search</label><input ` +
    `id="q" type="search" role="combobox" aria-expanded="false" aria-controls="qres" ` +
    `aria-autocomplete="list" autocomplete="off" spellcheck="false" ` +
    `placeholder="Search models, columns, SQL… ( / )"><ul id="qres" ` +
    `role="listbox" aria-label="Search results" hidden></ul></div>
<nav class="topnav" aria-label="Pages"><a href="#!/overview">Overview</a><a ` +
    `href="#!/lineage">Lineage</a>${db.hasRun ? '<a href="#!/run">Run</a>' : ''}</nav>
<button type="button" class="theme" aria-label="Switch colour theme" title="Switch colour theme">◐</button>
</header>
<div class="layout">
<aside class="side" aria-label="Navigation">
<div class="side-tabs" role="tablist" aria-label="Navigation ` +
    `tree"><button type="button" role="tab" id="tab-p" aria-controls="tree-p" ` +
    `aria-selected="true">Project</button><button type="button" role="tab" ` +
    `id="tab-d" aria-controls="tree-d" aria-selected="false" tabindex="-1">Database</button></div>
<div class="tree-host" id="tree-p" role="tabpanel" aria-labelledby="tab-p"></div>
<div class="tree-host" id="tree-d" role="tabpanel" aria-labelledby="tab-d" hidden></div>
<nav class="reslist" aria-label="Resources"><h2>Resources</h2><ul><li><a ` +
    `href="#!/list/model">Models <span class="count">${counts.get('model') ?? 0}</span></a></li>${res}</ul></nav>
</aside>
<main id="main" tabindex="-1"></main>
</div>`
  );
}

function boot(): void {
  const t0 = performance.now();
  const app = document.getElementById('app')!;
  const data = (window as unknown as { __KILN_DATA__?: SiteData }).__KILN_DATA__;
  if (!data || !Array.isArray(data.nodes)) {
    app.innerHTML =
      '<p class="boot">The documentation data (kiln-data.js) is missing ' +
      'or unreadable. Re-run <code>kiln docs generate</code>.</p>';
    return;
  }
  initTheme();
  const db = loadDb(data);
  app.innerHTML = shell(db);
  const main = document.getElementById('main')!;
  const navigate = (href: string) => {
    if (location.hash === href) route();
    else location.hash = href;
  };

  let projectTree: TreeView | null = null;
  let dbTree: TreeView | null = null;
  const treeP = document.getElementById('tree-p')!;
  const treeD = document.getElementById('tree-d')!;
  const ensureTrees = () => {
    if (!projectTree) projectTree = new TreeView(treeP, db, buildProjectTree(db), 'name');
  };
  const tabs = [document.getElementById('tab-p')!, document.getElementById('tab-d')!];
  const showTab = (k: number) => {
    tabs.forEach((t, j) => {
      t.setAttribute('aria-selected', String(j === k));
      t.tabIndex = j === k ? 0 : -1;
    });
    treeP.hidden = k !== 0;
    treeD.hidden = k !== 1;
    if (k === 1 && !dbTree) dbTree = new TreeView(treeD, db, buildDatabaseTree(db), 'relation');
  };
  tabs.forEach((t, k) => {
    t.addEventListener('click', () => showTab(k));
    t.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        const n = 1 - k;
        showTab(n);
        tabs[n]!.focus();
      }
    });
  });

  wireSearch(document.getElementById('q') as HTMLInputElement, document.getElementById('qres')!, db, navigate);
  document.querySelector('.skip')!.addEventListener('click', () => main.focus());
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    const typing = t.closest('input, textarea, select, [contenteditable=true]');
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      (document.getElementById('q') as HTMLInputElement).focus();
    }
  });

  let lineage: LineageView | null = null;
  let firstRoute = true;
  const route = () => {
    const t = performance.now();
    const r: Route = parseHash(location.hash);
    lineage = null;
    document.body.classList.toggle('full-lineage', r.page === 'lineage' || (r.page === 'node' && r.graph));
    let title = db.data.project.name;
    switch (r.page) {
      case 'overview':
        if (r.pkg && !db.nodes.some((n) => n.pkg === r.pkg)) {
          renderNotFound(main, 'package', r.pkg);
          title = 'Not found';
          break;
        }
        renderOverview(main, db, r.pkg);
        if (r.pkg) title = r.pkg;
        break;
      case 'list':
        if (!isKnownType(db, r.type)) {
          renderNotFound(main, 'page', r.type);
          title = 'Not found';
          break;
        }
        renderList(main, db, r.type);
        title = plural(r.type);
        break;
      case 'source_list':
        if (!db.nodes.some((n) => n.type === 'source' && n.source === r.source)) {
          renderNotFound(main, 'source', r.source);
          title = 'Not found';
          break;
        }
        renderSourceList(main, db, r.source);
        title = r.source;
        break;
      case 'run':
        renderRunPage(main, db);
        title = 'Last run';
        break;
      case 'search':
        renderSearchPage(main, db, r.q, r.type);
        title = `Search: ${r.q}`;
        break;
      case 'lineage':
        main.innerHTML = '<div class="lin-page"></div>';
        lineage = new LineageView(main.firstElementChild as HTMLElement, db, {
          select: r.select,
          exclude: r.exclude,
          navigate,
        });
        title = 'Lineage';
        break;
      case 'node': {
        const i = db.byId.get(r.id);
        if (i === undefined) {
          renderNotFound(main, r.type, r.id);
          title = 'Not found';
          break;
        }
        title = db.nodes[i]!.name;
        if (r.graph) {
          main.innerHTML = '<div class="lin-page"></div>';
          lineage = new LineageView(main.firstElementChild as HTMLElement, db, { select: '', focus: i, navigate });
        } else {
          lineage = renderNodePage(main, db, i, navigate);
        }
        ensureTrees();
        projectTree!.reveal(i);
        dbTree?.reveal(i);
        break;
      }
    }
    if (r.page !== 'node') {
      projectTree?.reveal(-1);
      dbTree?.reveal(-1);
    }
    document.title = `${title} · ${db.data.project.name} docs`;
    window.scrollTo(0, 0);
    if (!firstRoute) ((main.querySelector('h1') as HTMLElement | null) ?? main).setAttribute('tabindex', '-1');
    if (!firstRoute && document.activeElement === document.body)
      ((main.querySelector('h1') as HTMLElement | null) ?? main).focus({ preventScroll: true });
    firstRoute = false;
    const g = kilnGlobal();
    g.renders++;
    perf(`route:${r.page}`, performance.now() - t);
  };
  window.addEventListener('hashchange', route);
  route();
  ensureTrees();
  const g = kilnGlobal();
  g.ready = true;
  perf('boot', performance.now() - t0);
  perf('first-render', performance.now());
  void lineage;
  const idle =
    (window as unknown as { requestIdleCallback?: (cb: () => void) => void }).requestIdleCallback ??
    ((cb: () => void) => setTimeout(cb, 200));
  idle(() => db.search.warm());
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
