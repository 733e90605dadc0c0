/**
 * Hash routes. dbt-docs' links keep working: `#!/model/model.shop.orders`,
 * `#!/source/source.shop.raw.orders`, `#!/source_list/raw`, `#!/overview`,
 * and `?g_v=1` on a node link opens its lineage.
 */

export type Route =
  | { page: 'overview'; pkg?: string }
  | { page: 'node'; type: string; id: string; graph: boolean }
  | { page: 'source_list'; source: string }
  | { page: 'list'; type: string }
  | { page: 'lineage'; select: string; exclude: string }
  | { page: 'run' }
  | { page: 'search'; q: string; type: string };

export function parseHash(hash: string): Route {
  let h = hash.replace(/^#/, '').replace(/^!/, '');
  if (!h.startsWith('/')) h = '/' + h;
  const qAt = h.indexOf('?');
  const params = new URLSearchParams(qAt >= 0 ? h.slice(qAt + 1) : '');
  const pathPart = (qAt >= 0 ? h.slice(0, qAt) : h).replace(/#.*$/, '');
  const segs = pathPart
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const [first, ...rest] = segs;
  switch (first) {
    case undefined:
    case 'overview':
      return rest[0] ? { page: 'overview', pkg: rest[0] } : { page: 'overview' };
    case 'source_list':
      return rest[0] ? { page: 'source_list', source: rest[0] } : { page: 'list', type: 'source' };
    case 'list':
      return { page: 'list', type: rest[0] ?? 'model' };
    case 'lineage':
      return { page: 'lineage', select: params.get('select') ?? '', exclude: params.get('exclude') ?? '' };
    case 'run':
      return { page: 'run' };
    case 'search':
      return { page: 'search', q: params.get('q') ?? '', type: params.get('type') ?? '' };
    default:
      if (rest.length) return { page: 'node', type: first, id: rest.join('/'), graph: params.get('g_v') === '1' };
      return { page: 'list', type: first };
  }
}

export function lineageHref(select: string, exclude = ''): string {
  const p = new URLSearchParams();
  if (select) p.set('select', select);
  if (exclude) p.set('exclude', exclude);
  const q = p.toString();
  return `#!/lineage${q ? '?' + q : ''}`;
}
