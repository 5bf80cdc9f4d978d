// The "Show Dataset Statistics" page: plain markdown from the server's numbers (no vscode import,
// so it is tested directly).
import { basename } from 'node:path';
import type { DatasetStatistics } from '../protocol/languageServerMessages';

export function datasetStatisticsMarkdown(statistics: DatasetStatistics[]): string {
  if (statistics.length === 0) return '# Dataset statistics\n\nNo dataset found: open a folder with images and their caption `.txt` files.\n';
  const parts = ['# Dataset statistics'];
  for (const s of statistics) {
    parts.push(`## ${basename(s.folder) || s.folder}`, '', `\`${s.folder}\``, '');
    parts.push(`| Images | Captions | Images without caption |`, `|---:|---:|---:|`, `| ${s.images} | ${s.captions} | ${s.imagesWithoutCaption} |`, '');
    parts.push('### Problems by rule', '');
    if (s.problemsByRule.length === 0) parts.push('No problems.', '');
    else parts.push('| Rule | Problems |', '|---|---:|', ...s.problemsByRule.map((p) => `| \`${p.rule}\` | ${p.count} |`), '');
    parts.push('### Top tags', '');
    if (s.topTags.length === 0) parts.push('No tags.', '');
    else parts.push('| Tag | Captions |', '|---|---:|', ...s.topTags.map((t) => `| ${t.tag.replace(/\|/g, '\\|')} | ${t.count} |`), '');
  }
  return parts.join('\n');
}
