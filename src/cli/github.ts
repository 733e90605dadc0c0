/**
 * GitHub Actions workflow commands: under `GITHUB_ACTIONS=true`, node errors and test
 * failures (and warnings) are also printed as annotations, so they show on the pull
 * request's files. A test points at the model it guards.
 */
import type { GraphNode, TestNode } from '../parse/nodes.js';
import type { NodeResult } from '../run/results.js';

export function underGithubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

export function annotations(results: NodeResult[], nodes: Map<string, GraphNode>): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.status !== 'error' && r.status !== 'fail' && r.status !== 'warn') continue;
    const node = nodes.get(r.uniqueId);
    const guarded =
      node?.resourceType === 'test'
        ? nodes.get((node as TestNode).attachedNode ?? node.dependsOn.nodes.find((p) => nodes.has(p)) ?? '')
        : undefined;
    const file = (guarded ?? node)?.originalFilePath;
    // An error message that starts with "file:line:" knows the line.
    const at = file ? new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(r.message) : null;
    const what = node ? `${node.resourceType} ${node.name}` : r.uniqueId;
    const title =
      r.status === 'fail'
        ? `Test failed: ${node?.name ?? r.uniqueId}`
        : r.status === 'warn'
          ? `Test warning: ${node?.name ?? r.uniqueId}`
          : `Error in ${what}`;
    let message =
      r.status === 'error' ? r.message : `${r.failures ?? 0} failing row${r.failures === 1 ? '' : 's'}: ${r.message}`;
    if (guarded && node) {
      const declared = (node as TestNode).declaredAt;
      const place = `${declared?.file ?? node.originalFilePath}${declared?.line ? `:${declared.line}` : ''}`;
      message += `\n(${what}, declared in ${place})`;
    }
    const props = [file ? `file=${property(file)}` : '', `line=${at?.[1] ?? 1}`, `title=${property(title)}`]
      .filter(Boolean)
      .join(',');
    out.push(`::${r.status === 'warn' ? 'warning' : 'error'} ${props}::${data(message)}`);
  }
  return out;
}

/** One annotation: `level` is error, warning or notice; it shows on `file` in the pull request. */
export function annotation(
  level: 'error' | 'warning' | 'notice',
  file: string,
  title: string,
  message: string,
  line = 1,
): string {
  return `::${level} file=${property(file)},line=${line},title=${property(title)}::${data(message)}`;
}

function data(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function property(s: string): string {
  return data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
