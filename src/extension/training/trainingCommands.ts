// The training commands of the palette (category "Embedding Studio") and of the sidebar's items,
// as entries of the extension's command table: registered by registerCommands, so the ones that
// load models or run native code refuse in Restricted Mode with the reason.
import * as vscode from 'vscode';
import { fork } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { preprocessImages, type PreprocessReport } from '../../dataset/preprocess';
import { MirrorRefusedError, mirrorRefusalReason } from '../../dataset/mirrorPolicy';
import { planCaptionEdits } from '../../dataset/captionWriting';
import { captionFileChanges } from '../captionWorkspaceChanges';
import { applyCaptionChanges } from '../captionWorkspaceEdit';
import { ReviewPanel } from '../reviewPanel';
import { makeTargetedCrops } from '../../dataset/targetedCrops';
import { isImageFile } from '../../dataset/imageLoading';
import { TaggerProcess } from '../../dataset/taggerProcess';
import { settingsFolder } from '../../dataset/datasetScan';
import { vectorsAdvice, type RunConfig } from '../../train/config';
import { nextLowerLearningRate, parseLearningRateSchedule } from '../../train/learningRateSchedule';
import type { CommandEntry } from '../commandTable';
import { copyEmbeddingToFolder, embeddingCopyTarget, EmbeddingCopyError } from './embeddingCopy';
import { defaultEmbeddingName, embeddingNameProblem } from './embeddingName';
import { lastRunConfig, rememberRunConfig } from './lastRunConfig';
import { newRunFolder } from './runFolders';
import { RunAlreadyActive, RunConfigRejected, type TrainingRun } from './runRegistry';
import { askRunConfig, initialRunConfig } from './startTrainingForm';
import type { TrainingSession } from './trainingSession';

/** `embeddingStudio.training.defaults`: run-configuration fields every new run starts from. */
function trainingDefaults(): Partial<RunConfig> {
  const value = vscode.workspace.getConfiguration('embeddingStudio').get<Record<string, unknown>>('training.defaults', {});
  return value && typeof value === 'object' ? (value as Partial<RunConfig>) : {};
}

async function pickModelFile(): Promise<string | undefined> {
  const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'SD1.x checkpoints': ['safetensors'] }, title: 'Stable Diffusion 1.x checkpoint' });
  return chosen?.[0]?.fsPath;
}

function fromArgs(arg: unknown): Record<string, unknown> {
  return typeof arg === 'object' && arg !== null ? (arg as Record<string, unknown>) : {};
}

/** A tree item or a path string: the path it stands for. */
function pathArg(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const a = fromArgs(arg);
  if (typeof a.path === 'string') return a.path;
  if (a.resourceUri instanceof vscode.Uri) return a.resourceUri.fsPath;
  if (typeof a.runDir === 'string') return a.runDir;
  return undefined;
}

export function trainingCommandTable(session: TrainingSession): CommandEntry[] {
  const control = (id: string, title: string, command: 'pause' | 'resume' | 'stop' | 'saveNow'): CommandEntry => ({
    id,
    title,
    requiresTrust: true,
    create: () => async () => {
      const run = await session.pickActiveRun(title);
      if (run && !run.send({ type: command })) void vscode.window.showWarningMessage(`Embedding Studio: ${title}: the trainer has already exited.`);
    },
  });

  const startRun = (start: () => TrainingRun): TrainingRun | undefined => {
    try {
      const run = start();
      session.attachMonitor(run);
      return run;
    } catch (error) {
      if (error instanceof RunAlreadyActive) {
        void vscode.window.showWarningMessage(`Embedding Studio: ${error.message}`, 'Open Monitor').then((c) => c && session.attachMonitor(error.run));
        return undefined;
      }
      if (error instanceof RunConfigRejected) {
        void vscode.window.showErrorMessage(`Embedding Studio: the run configuration has problems:\n${error.message}`, { modal: true });
        return undefined;
      }
      throw error;
    }
  };

  return [
    {
      id: 'embeddingStudio.startTraining',
      title: 'Start Training',
      requiresTrust: true,
      // Arguments (optional): { data, ...RunConfig fields, skipForm } — used by scripts and tests.
      create: (ctx) => async (arg?: unknown) => {
        const given = fromArgs(arg);
        const data = typeof given.data === 'string' ? given.data : await session.pickDatasetFolder('Start Training');
        if (!data) return;
        const busy = session.registry.forDataset(data);
        if (busy) {
          startRun(() => {
            throw new RunAlreadyActive(busy);
          });
          return;
        }
        const store = ctx.extension.workspaceState;
        const fixed: Partial<RunConfig> = { data, provider: ctx.config.executionProvider };
        if (ctx.config.tokenizerPath) fixed.tokenizer = ctx.config.tokenizerPath;
        const settingModel = ctx.config.modelPath;
        const layers: Partial<RunConfig>[] = [
          { name: defaultEmbeddingName(data), model: settingModel },
          trainingDefaults(),
          lastRunConfig(store, data),
          fixed,
        ];
        const { skipForm, ...fields } = given;
        layers.push(fields as Partial<RunConfig>);
        let config: RunConfig | undefined = initialRunConfig(layers);
        if (!skipForm) {
          // the run folder is fixed once the name is known; the form shows it on its last page
          const form = await askRunConfig({ initial: config, pickModel: pickModelFile, runFolderFor: (name) => (typeof given.out === 'string' ? given.out : newRunFolder(data, name)) });
          if (!form) return;
          config = form;
        } else {
          config = { ...config, out: typeof given.out === 'string' ? given.out : newRunFolder(data, config.name) };
        }
        const run = startRun(() => session.registry.start(config!));
        if (run) await rememberRunConfig(store, data, config);
      },
    },
    control('embeddingStudio.pauseTraining', 'Pause Training', 'pause'),
    control('embeddingStudio.resumeTraining', 'Resume Training', 'resume'),
    control('embeddingStudio.stopTraining', 'Stop Training', 'stop'),
    control('embeddingStudio.saveEmbeddingNow', 'Save Embedding Now', 'saveNow'),
    {
      id: 'embeddingStudio.changeLearningRate',
      title: 'Change Learning Rate',
      requiresTrust: true,
      create: () => async (arg?: unknown) => {
        const run = await session.pickActiveRun('Change Learning Rate');
        if (!run) return;
        const s = run.snapshot;
        const schedule =
          typeof arg === 'string'
            ? arg
            : await vscode.window.showInputBox({
                title: `Change Learning Rate of "${s.name}" (now ${s.learningRate ?? '?'} at step ${s.step})`,
                value: s.learningRate !== null ? String(s.learningRate) : '',
                prompt: 'A rate or an A1111 schedule counted in total steps, e.g. 0.001 or 0.001:3000, 0.0001 — the tutorial lowers it once the previews stop changing',
                validateInput: (text) => {
                  try {
                    parseLearningRateSchedule(text, s.maxSteps, s.step);
                    return undefined;
                  } catch (error) {
                    return (error as Error).message;
                  }
                },
              });
        if (schedule) run.send({ type: 'setLearningRate', schedule });
      },
    },
    {
      id: 'embeddingStudio.rollBackToBestEmbedding',
      title: 'Roll Back to Best Embedding',
      requiresTrust: true,
      create: () => async () => {
        const run = await session.pickActiveRun('Roll Back to Best Embedding');
        if (!run) return;
        const s = run.snapshot;
        if (!s.bestEmbedding) {
          void vscode.window.showInformationMessage(`Embedding Studio: "${s.name}" has not saved an embedding yet; it saves every "save every" steps (or use Save Embedding Now).`);
          return;
        }
        // the tutorial's next rate (0.005 → 0.0001 → 0.00001 → 0.000001), as the automatic rollback uses
        const lower = s.learningRate !== null ? nextLowerLearningRate(s.learningRate) : null;
        const schedule = await vscode.window.showInputBox({
          title: `Roll back "${s.name}" to ${basename(s.bestEmbedding)} (loss ${s.bestLoss?.toFixed(4)})`,
          value: lower !== null ? String(lower) : '',
          prompt: 'Continue with this learning rate (the tutorial\'s next step down from the rate that diverged), or leave it empty to keep the schedule',
          validateInput: (text) => {
            if (!text.trim()) return undefined;
            try {
              parseLearningRateSchedule(text, s.maxSteps, s.step);
              return undefined;
            } catch (error) {
              return (error as Error).message;
            }
          },
        });
        if (schedule === undefined) return;
        run.send(schedule.trim() ? { type: 'rollback', embeddingPath: s.bestEmbedding, schedule: schedule.trim() } : { type: 'rollback', embeddingPath: s.bestEmbedding });
      },
    },
    {
      id: 'embeddingStudio.openMonitor',
      title: 'Open Training Monitor',
      create: () => async (arg?: unknown) => {
        const runDir = pathArg(arg);
        const live = runDir ? session.registry.forRunDir(runDir) : session.registry.active()[0];
        if (live?.running || (live && !runDir)) {
          session.attachMonitor(live);
          return;
        }
        let dir = runDir;
        if (!dir) {
          const runs = session.runFolders();
          if (runs.length === 0) {
            void vscode.window.showInformationMessage('Embedding Studio: no training is running and no run folder was found in this workspace. Start one with "Embedding Studio: Start Training".');
            return;
          }
          const picked = await vscode.window.showQuickPick(
            runs.map((r) => ({ label: r.name, description: `${r.status}, step ${r.lastStep ?? 0}`, detail: r.runDir, runDir: r.runDir })),
            { placeHolder: 'Which run?' },
          );
          dir = picked?.runDir;
        }
        if (dir) await session.showRunFolder(dir);
      },
    },
    {
      id: 'embeddingStudio.resumeRun',
      title: 'Resume Run',
      requiresTrust: true,
      create: () => async (arg?: unknown) => {
        let dir = pathArg(arg);
        if (!dir) {
          const runs = session.runFolders().filter((r) => r.resumable);
          const picked = await vscode.window.showQuickPick(
            runs.map((r) => ({ label: r.name, description: `step ${r.lastStep ?? 0} of ${r.maxSteps}`, detail: r.runDir, runDir: r.runDir })),
            { placeHolder: runs.length ? 'Which run to continue from its last save?' : 'No run can be resumed (none has a saved state)' },
          );
          dir = picked?.runDir;
        }
        if (dir) startRun(() => session.registry.resume(dir!));
      },
    },
    {
      id: 'embeddingStudio.openRunFolder',
      title: 'Open Run Folder',
      create: () => async (arg?: unknown) => {
        let dir: string | undefined = pathArg(arg) ?? session.registry.active()[0]?.snapshot.runDir;
        if (!dir) {
          const runs = session.runFolders();
          const picked = await vscode.window.showQuickPick(
            runs.map((r) => ({ label: r.name, description: r.status, detail: r.runDir, runDir: r.runDir })),
            { placeHolder: runs.length ? 'Which run folder?' : 'No run folder in this workspace yet' },
          );
          dir = picked?.runDir;
        }
        if (dir) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(dir));
      },
    },
    {
      id: 'embeddingStudio.createEmbedding',
      title: 'Create Embedding',
      requiresTrust: true,
      create: (ctx) => async () => {
        const data = await session.pickDatasetFolder('Create Embedding');
        if (!data) return;
        const model = ctx.config.modelPath && existsSync(ctx.config.modelPath) ? ctx.config.modelPath : await pickModelFile();
        if (!model) return;
        const name = await vscode.window.showInputBox({
          title: 'Create Embedding: name',
          prompt: 'The word you will write in prompts, and the file name',
          value: defaultEmbeddingName(data),
          validateInput: embeddingNameProblem,
        });
        if (!name) return;
        const vectors = await vscode.window.showQuickPick(
          [1, 2, 4, 8, 12, 16, 24, 32, 48].map((n) => ({ label: String(n), detail: vectorsAdvice(n), n })),
          { title: 'Create Embedding: vectors per token', placeHolder: 'More vectors hold more detail, train slower and use more of the 75-token prompt' },
        );
        if (!vectors) return;
        const initText = await vscode.window.showInputBox({ title: 'Create Embedding: initialization text', value: '*', prompt: 'The vectors start from the token embeddings of this text' });
        if (initText === undefined) return;
        const out = join(data, settingsFolder, 'embeddings');
        const file = join(out, `${name}.safetensors`);
        const args = ['create-embedding', '--model', model, '--name', name, '--vectors', String(vectors.n), '--init-text', initText, '--out', out];
        // The CLI refuses an existing file and says "pass --overwrite", which an editor user cannot do: ask here.
        if (existsSync(file)) {
          const answer = await vscode.window.showWarningMessage(
            `${name}.safetensors already exists in ${out}.`,
            { modal: true, detail: 'Replace it with this new embedding, or Cancel and choose another name to keep it.' },
            'Replace',
          );
          if (answer !== 'Replace') return;
          args.push('--overwrite');
        }
        if (ctx.config.tokenizerPath) args.push('--tokenizer', ctx.config.tokenizerPath);
        const result = await runCli(session.distFile('cli.js'), args);
        if (result.code !== 0) throw new Error(result.stderr.trim() || `create-embedding exited with code ${result.code}`);
        ctx.output.info(result.stdout.trim());
        const choice = await vscode.window.showInformationMessage(`Embedding Studio: created ${file} (${vectors.n} vectors from "${initText}").`, 'Train It', 'Reveal');
        if (choice === 'Reveal') await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(file));
        if (choice === 'Train It') await vscode.commands.executeCommand('embeddingStudio.startTraining', { data, name, vectors: vectors.n, initText, initEmbedding: file, model });
      },
    },
    {
      id: 'embeddingStudio.preprocessImages',
      title: 'Preprocess Images',
      requiresTrust: true,
      create: (ctx) => async () => {
        const source = await session.pickDatasetFolder('Preprocess Images');
        if (!source) return;
        const destination = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Write 512×512 images here', title: 'Preprocess Images: destination folder (not the source folder)' });
        if (!destination?.[0]) return;
        const mode = await vscode.window.showQuickPick(
          [
            { label: 'Centre crop', detail: 'Square crop from the middle of each image', crop: 'centre' as const, mirror: false },
            { label: 'Focal crop', detail: 'The square holding the most detail', crop: 'focal' as const, mirror: false },
            { label: 'Focal crop + mirrored copies', detail: 'Doubles the images; refused for captions that say heterochromia', crop: 'focal' as const, mirror: true },
          ],
          { title: 'Preprocess Images: how to crop to 512×512' },
        );
        if (!mode) return;
        const run = (mirror: boolean) =>
          vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: 'Preprocessing images', cancellable: true },
            async (progress, token) => {
              const abort = new AbortController();
              token.onCancellationRequested(() => abort.abort());
              let last = 0;
              return preprocessImages({
                sourceDir: source,
                destinationDir: destination[0].fsPath,
                width: 512,
                height: 512,
                crop: mode.crop,
                mirror,
                captionExtensions: [ctx.config.captionExtension, '.txt', '.caption'],
                // Redoing a preprocess (another crop) is common: ask, as Make Targeted Dataset does.
                overwrite: async (files) => {
                  const answer = await vscode.window.showWarningMessage(
                    `${files.length} file(s) from an earlier preprocess already exist in ${destination[0].fsPath}, e.g. ${basename(files[0])}.`,
                    { modal: true, detail: 'Overwrite them with this run\'s crops, or keep them and preprocess only the images that have no output yet.' },
                    'Overwrite',
                    'Keep',
                  );
                  if (answer === undefined) abort.abort();
                  return answer === 'Overwrite';
                },
                signal: abort.signal,
                onProgress: ({ done, total, file }) => {
                  const percent = (100 * done) / Math.max(1, total);
                  progress.report({ increment: percent - last, message: `${done}/${total} ${basename(file)}` });
                  last = percent;
                },
              });
            },
          );
        let report: PreprocessReport;
        try {
          report = await run(mode.mirror);
        } catch (error) {
          // a caption says heterochromia: nothing was written; offer the way out in one click
          if (!(error instanceof MirrorRefusedError)) throw error;
          const choice = await vscode.window.showWarningMessage(
            `Mirrored copies refused: ${error.files.map((f) => basename(f)).join(', ')} ${error.files.length === 1 ? 'says' : 'say'} heterochromia.`,
            { modal: true, detail: `${mirrorRefusalReason.charAt(0).toUpperCase()}${mirrorRefusalReason.slice(1)}. Nothing was written.` },
            'Preprocess Without Mirroring',
          );
          if (choice !== 'Preprocess Without Mirroring') return;
          report = await run(false);
        }
        const failed = report.failed.map((f) => `${basename(f.file)}: ${f.reason}`);
        for (const f of failed) ctx.output.warn(`Preprocess: ${f}`);
        const summary = `${report.processed} of ${report.total} images written to ${destination[0].fsPath}${report.cancelled ? ' (cancelled)' : ''}${report.notOverwritten.length ? `, ${report.notOverwritten.length} kept (outputs existed)` : ''}${failed.length ? `, ${failed.length} failed (see the output)` : ''}.`;
        if (failed.length) void vscode.window.showWarningMessage(`Embedding Studio: ${summary}`);
        else void vscode.window.showInformationMessage(`Embedding Studio: ${summary}`);
      },
    },
    {
      id: 'embeddingStudio.autoTagImages',
      title: 'Auto-tag Images',
      requiresTrust: true,
      create: (ctx) => async () => {
        const dir = await session.pickDatasetFolder('Auto-tag Images');
        if (!dir) return;
        const model = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'WD14-style tagger': ['onnx'] }, title: 'Auto-tag Images: the tagger model (.onnx, with selected_tags.csv beside it)' });
        if (!model?.[0]) return;
        const modelPath = model[0].fsPath;
        let tagsPath = join(modelPath, '..', 'selected_tags.csv');
        if (!existsSync(tagsPath)) {
          const tags = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Tag list': ['csv'] }, title: "The tagger's selected_tags.csv" });
          if (!tags?.[0]) return;
          tagsPath = tags[0].fsPath;
        }
        const mode = await vscode.window.showQuickPick(
          [
            { label: 'Caption images without a caption', mode: 'new' as const },
            { label: 'Also add missing tags to existing captions', mode: 'append' as const },
            { label: 'Review the changes first', detail: 'Add missing tags: the Refactor Preview shows each caption; tick the ones to write, then Apply', mode: 'append' as const, review: true },
          ],
          { title: 'Auto-tag Images' },
        );
        if (!mode) return;
        const images = readdirSync(dir).filter(isImageFile).sort().map((f) => join(dir, f));
        const tagger = await TaggerProcess.start(session.distFile('tagger.js'));
        try {
          const run = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: 'Auto-tagging images', cancellable: true },
            (progress, token) => {
              const abort = new AbortController();
              token.onCancellationRequested(() => abort.abort());
              return tagger.tag({ modelPath, tagsPath, provider: ctx.config.executionProvider, images, selection: {} }, (event) => {
                if (event.type === 'imageTagged' || event.type === 'imageFailed') progress.report({ increment: 100 / Math.max(1, event.total), message: `${event.done}/${event.total} ${basename(event.image)}` });
              }, abort.signal);
            },
          );
          const plan = await planCaptionEdits(run.tagged.map((t) => ({ image: t.image, tags: t.tags })), { mode: mode.mode, extension: ctx.config.captionExtension });
          const review = 'review' in mode && mode.review === true;
          // One WorkspaceEdit for the whole run: one Undo reverts it.
          const applied = await applyCaptionChanges(captionFileChanges(plan.edits), { review, title: 'Auto-tag Images' });
          for (const f of run.failed) ctx.output.warn(`Auto-tag: ${f.image}: ${f.reason}`);
          for (const f of applied.conflicts) ctx.output.warn(`Auto-tag: ${f}: changed since the tags were planned; left alone`);
          const outcome =
            plan.edits.length > 0 && !applied.applied && applied.conflicts.length < plan.edits.length
              ? 'no captions written (the changes were discarded)'
              : `${applied.written.length} captions written${applied.declined.length ? `, ${applied.declined.length} not ticked in the preview` : ''}`;
          void vscode.window.showInformationMessage(
            `Embedding Studio: ${run.tagged.length} images tagged on ${run.model.provider}, ${outcome}${applied.conflicts.length ? `, ${applied.conflicts.length} left alone (changed meanwhile)` : ''}${run.failed.length ? `, ${run.failed.length} failed (see the output)` : ''}${run.finished.cancelled ? ' (cancelled)' : ''}.`,
          );
        } finally {
          await tagger.dispose();
        }
      },
    },
    {
      id: 'embeddingStudio.reviewCrops',
      title: 'Review Crops',
      requiresTrust: true,
      create: (ctx) => async (arg?: unknown) => {
        const dir = pathArg(arg) ?? (await session.pickDatasetFolder('Review Crops'));
        if (!dir) return;
        const panel = ReviewPanel.show({ extensionUri: ctx.extension.extensionUri, captionExtension: ctx.config.captionExtension, log: (m) => ctx.output.warn(m) }, dir);
        await panel.showFolder(dir);
      },
    },
    {
      id: 'embeddingStudio.makeTargetedDataset',
      title: 'Make Targeted Dataset',
      requiresTrust: true,
      create: (ctx) => async () => {
        const images = await vscode.window.showOpenDialog({
          canSelectMany: true,
          canSelectFolders: false,
          filters: { Images: ['png', 'jpg', 'jpeg', 'webp', 'bmp', 'gif'] },
          openLabel: 'Crop these',
          title: 'Make Targeted Dataset: the images to crop the detail from',
        });
        if (!images?.length) return;
        const destination = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Write the crops here', title: 'Make Targeted Dataset: destination folder (a new dataset)' });
        if (!destination?.[0]) return;
        const caption = await vscode.window.showInputBox({
          title: 'Make Targeted Dataset: caption (optional)',
          prompt: 'Written beside each crop, e.g. "star-shaped pupils"; leave empty for no caption',
          placeHolder: 'star-shaped pupils',
        });
        if (caption === undefined) return;
        const destinationDir = destination[0].fsPath;
        const report = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Making targeted crops', cancellable: true },
          (progress, token) => {
            const abort = new AbortController();
            token.onCancellationRequested(() => abort.abort());
            return makeTargetedCrops({
              sources: images.map((uri) => ({ image: uri.fsPath })),
              destinationDir,
              ...(caption.trim() ? { caption: caption.trim() } : {}),
              overwrite: async (files) => {
                const answer = await vscode.window.showWarningMessage(`${files.length} crop(s) already exist in ${destinationDir}, e.g. ${basename(files[0])}.`, { modal: true }, 'Overwrite');
                return answer === 'Overwrite';
              },
              signal: abort.signal,
              onProgress: ({ done, total, file }) => progress.report({ increment: 100 / Math.max(1, total), message: `${done}/${total} ${basename(file)}` }),
            });
          },
        );
        for (const f of report.failed) ctx.output.warn(`Targeted dataset: ${basename(f.file)}: ${f.reason}`);
        const summary = `${report.written.length} crops written to ${destinationDir}${report.cancelled ? ' (cancelled)' : ''}${report.notOverwritten.length ? `, ${report.notOverwritten.length} images skipped (crops existed)` : ''}${report.failed.length ? `, ${report.failed.length} failed (see the output)` : ''}.`;
        const show = report.failed.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
        const choice = await show(`Embedding Studio: ${summary}`, 'Review Crops');
        if (choice) await vscode.commands.executeCommand('embeddingStudio.reviewCrops', destinationDir);
      },
    },
    {
      id: 'embeddingStudio.copyEmbeddingToFolder',
      title: 'Copy Embedding to Embeddings Folder',
      create: (ctx) => async (arg?: unknown) => {
        const source = pathArg(arg);
        if (!source) return;
        const folder = ctx.config.embeddingsFolder;
        const kind = ctx.config.embeddingsFolderKind === 'comfyui' ? 'ComfyUI' : 'AUTOMATIC1111';
        try {
          let overwrite = false;
          if (folder && existsSync(embeddingCopyTarget(source, folder))) {
            const answer = await vscode.window.showWarningMessage(`${embeddingCopyTarget(source, folder)} already exists in the ${kind} embeddings folder.`, { modal: true }, 'Replace');
            if (answer !== 'Replace') return;
            overwrite = true;
          }
          const target = await copyEmbeddingToFolder(source, folder, { overwrite });
          void vscode.window.showInformationMessage(`Embedding Studio: copied to ${target}; in ${kind} write "${basename(target, '.safetensors')}" in a prompt (refresh the embeddings list first).`);
        } catch (error) {
          if (!(error instanceof EmbeddingCopyError)) throw error;
          const choice = await vscode.window.showErrorMessage(`Embedding Studio: ${error.message}`, 'Open Settings');
          if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', 'embeddingStudio.embeddingsFolder');
        }
      },
    },
    {
      id: 'embeddingStudio.revealInOS',
      title: 'Reveal in File Explorer',
      create: () => async (arg?: unknown) => {
        const path = pathArg(arg);
        if (path) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(path));
      },
    },
    {
      id: 'embeddingStudio.findTag',
      title: 'Find Tag in Captions',
      create: (ctx) => async (tag?: unknown, folder?: unknown) => {
        if (typeof tag !== 'string') return;
        await vscode.commands.executeCommand('workbench.action.findInFiles', {
          query: tag,
          isRegex: false,
          matchWholeWord: true,
          filesToInclude: typeof folder === 'string' ? `${vscode.workspace.asRelativePath(folder, false)}/*${ctx.config.captionExtension}` : `*${ctx.config.captionExtension}`,
          triggerSearch: true,
        });
      },
    },
  ];
}

function runCli(cliPath: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = fork(cliPath, args, { execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
