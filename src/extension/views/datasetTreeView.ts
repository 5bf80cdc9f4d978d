// The Dataset view: per dataset folder, its images and captions, the caption problems by rule
// (click: the Problems panel) and the tag frequency list (click: find the tag in the captions).
// The numbers come from the caption language server, which already indexes every dataset.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { LanguageClient } from 'vscode-languageclient/node';
import { datasetStatisticsRequest, type DatasetStatistics } from '../../protocol/languageServerMessages';

export const datasetViewId = 'embeddingStudio.dataset';

type DatasetNode =
  | { kind: 'dataset'; stats: DatasetStatistics }
  | { kind: 'count'; label: string; description: string; icon: string }
  | { kind: 'problems'; stats: DatasetStatistics }
  | { kind: 'rule'; rule: string; count: number }
  | { kind: 'tags'; stats: DatasetStatistics }
  | { kind: 'tag'; tag: string; count: number; folder: string }
  | { kind: 'message'; text: string };

export class DatasetTreeProvider implements vscode.TreeDataProvider<DatasetNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DatasetNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly captions: LanguageClient | undefined) {
    // diagnostics change whenever the server re-lints: the counts may have changed with them
    this.disposables.push(vscode.languages.onDidChangeDiagnostics(() => this.refreshSoon()));
  }

  refresh(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.changed.fire(undefined);
  }

  private refreshSoon(): void {
    this.timer ??= setTimeout(() => this.refresh(), 1500);
  }

  async getChildren(node?: DatasetNode): Promise<DatasetNode[]> {
    if (!node) {
      if (!this.captions) return [{ kind: 'message', text: 'The caption language server did not start (see the "Embedding Studio" output)' }];
      let stats: DatasetStatistics[];
      try {
        stats = await this.captions.sendRequest(datasetStatisticsRequest);
      } catch (error) {
        return [{ kind: 'message', text: `Dataset statistics unavailable: ${(error as Error).message}` }];
      }
      if (stats.length === 0) return [{ kind: 'message', text: 'No dataset found: open a folder of images with caption .txt files' }];
      return stats.length === 1 ? this.datasetChildren(stats[0]) : stats.map((s) => ({ kind: 'dataset', stats: s }));
    }
    switch (node.kind) {
      case 'dataset':
        return this.datasetChildren(node.stats);
      case 'problems':
        return node.stats.problemsByRule.map((p) => ({ kind: 'rule', rule: p.rule, count: p.count }));
      case 'tags':
        return node.stats.topTags.map((t) => ({ kind: 'tag', tag: t.tag, count: t.count, folder: node.stats.folder }));
      default:
        return [];
    }
  }

  private datasetChildren(stats: DatasetStatistics): DatasetNode[] {
    return [
      { kind: 'count', label: 'Images', description: String(stats.images), icon: 'file-media' },
      {
        kind: 'count',
        label: 'Captions',
        description: `${stats.captions}${stats.imagesWithoutCaption ? ` (${stats.imagesWithoutCaption} images without one)` : ''}`,
        icon: 'note',
      },
      { kind: 'problems', stats },
      { kind: 'tags', stats },
    ];
  }

  getTreeItem(node: DatasetNode): vscode.TreeItem {
    switch (node.kind) {
      case 'dataset': {
        const item = new vscode.TreeItem(basename(node.stats.folder), vscode.TreeItemCollapsibleState.Expanded);
        item.description = `${node.stats.images} images`;
        item.tooltip = node.stats.folder;
        item.iconPath = new vscode.ThemeIcon('folder-library');
        return item;
      }
      case 'count': {
        const item = new vscode.TreeItem(node.label);
        item.description = node.description;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
      case 'problems': {
        const total = node.stats.problemsByRule.reduce((sum, p) => sum + p.count, 0);
        const item = new vscode.TreeItem('Problems', total ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.description = total ? `${total} by ${node.stats.problemsByRule.length} rule(s)` : 'none';
        item.iconPath = new vscode.ThemeIcon(total ? 'warning' : 'pass');
        return item;
      }
      case 'rule': {
        const item = new vscode.TreeItem(node.rule);
        item.description = String(node.count);
        item.iconPath = new vscode.ThemeIcon('debug-breakpoint-log-unverified');
        item.tooltip = `${node.count} × ${node.rule}. Click to open the Problems panel; right-click for the rule's documentation.`;
        item.contextValue = 'rule';
        item.command = { command: 'workbench.actions.view.problems', title: 'Show Problems' };
        return item;
      }
      case 'tags': {
        const item = new vscode.TreeItem('Tags', vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${node.stats.topTags.length} most used`;
        item.iconPath = new vscode.ThemeIcon('tag');
        return item;
      }
      case 'tag': {
        const item = new vscode.TreeItem(node.tag);
        item.description = String(node.count);
        item.tooltip = `"${node.tag}" is in ${node.count} caption(s). Click to find it in the captions.`;
        item.command = { command: 'embeddingStudio.findTag', title: 'Find Tag in Captions', arguments: [node.tag, node.folder] };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
