// Everything training adds to the editor, set up by one call from activate(): the trainer
// session (run registry + monitor wiring), its commands, the sidebar's Dataset and Runs views
// and the status-bar item. Disposing it (on deactivate) stops the running trainers.
import * as vscode from 'vscode';
import { registerCommands, type CommandContext } from '../commandTable';
import { TrainingStatusBar } from '../statusBar';
import { DatasetTreeProvider, datasetViewId } from '../views/datasetTreeView';
import { RunsTreeProvider, runsViewId } from '../views/runsTreeView';
import { trainingCommandTable } from './trainingCommands';
import { TrainingSession } from './trainingSession';

export function activateTraining(ctx: CommandContext): vscode.Disposable[] {
  const session = new TrainingSession(ctx.extension, ctx.config, ctx.output);
  const dataset = new DatasetTreeProvider(ctx.captions);
  const runs = new RunsTreeProvider(session);
  return [
    session,
    dataset,
    runs,
    new TrainingStatusBar(session.registry),
    vscode.window.registerTreeDataProvider(datasetViewId, dataset),
    vscode.window.registerTreeDataProvider(runsViewId, runs),
    vscode.commands.registerCommand('embeddingStudio.refreshDatasetView', () => dataset.refresh()),
    vscode.commands.registerCommand('embeddingStudio.refreshRunsView', () => runs.refresh()),
    ...registerCommands(ctx, trainingCommandTable(session)),
  ];
}
