/**
 * Descriptions: the projects' docs blocks, and every node's, source's, exposure's and
 * column's description rendered with `doc()` reading them.
 */
import { KilnError } from '../errors.js';
import type { Scope, TemplateEngine } from '../template/engine.js';
import type { OwnerFiles } from './discovery.js';
import { readDocBlocks } from './docs-blocks.js';
import type { DocBlock } from './nodes.js';

/** Docs blocks by unique id; packages' first, so a root block of the same name wins in doc('name'). */
export function readDocs(owners: OwnerFiles[]): Map<string, DocBlock> {
  const docs = new Map<string, DocBlock>();
  for (const files of [...owners.slice(1), owners[0]!])
    for (const f of files.docs) for (const d of readDocBlocks(f, files.owner.name)) docs.set(d.uniqueId, d);
  return docs;
}

type Described = { description: string; columns?: Record<string, { description: string }> };

export function renderDescriptions(
  described: Iterable<Described>,
  docs: Map<string, Pick<DocBlock, 'name' | 'blockContents'>>,
  engine: TemplateEngine,
  context: Scope,
): void {
  const byName = new Map([...docs.values()].map((d) => [d.name, d.blockContents]));
  const doc = (a: string, b?: string) => {
    const name = b ?? a;
    const found = byName.get(name);
    if (found === undefined)
      throw new KilnError('template', `doc('${name}') refers to a docs block that does not exist`, {
        hint: 'define it in a .md file: {% docs name %}...{% enddocs %}',
      });
    return found;
  };
  const render = (text: string) =>
    text.includes('{{') ? engine.render(engine.compile(text, 'description'), { ...context, doc }, 'description') : text;
  for (const n of described) {
    n.description = render(n.description);
    for (const c of Object.values(n.columns ?? {})) c.description = render(c.description);
  }
}
