import type { DocBlock } from './nodes.js';
import type { ProjectFile } from './files.js';

/** `{% docs name %} ... {% enddocs %}` blocks from markdown files. */
export function readDocBlocks(file: ProjectFile, packageName: string): DocBlock[] {
  const out: DocBlock[] = [];
  const re = /\{%-?\s*docs\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}([\s\S]*?)\{%-?\s*enddocs\s*-?%\}/g;
  for (let m = re.exec(file.text); m; m = re.exec(file.text)) {
    out.push({
      uniqueId: `doc.${packageName}.${m[1]}`,
      name: m[1]!,
      packageName,
      path: file.resourcePath,
      originalFilePath: file.projectPath,
      blockContents: m[2]!.trim(),
    });
  }
  return out;
}
