// The "Start Training" form: a sequence of quick inputs for the run configuration, each prefilled
// from the dataset's last run (or the `embeddingStudio.training.defaults` setting, or A1111's
// defaults), each checked as it is typed with the trainer's own parsers, and a last page that
// shows every setting with the trainer's warnings before anything starts. Escape cancels.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { mergeRunConfig, suggestedTemplateForCharacter, validateRunConfig, vectorsAdvice, type RunConfig } from '../../train/config';
import { parseLearningRateSchedule } from '../../train/learningRateSchedule';
import { shippedTemplateNames } from '../../train/promptTemplates';
import { embeddingNameProblem } from './embeddingName';

const totalSteps = 10;

class FormCancelled extends Error {}

function input(step: number, title: string, options: { value: string; prompt: string; validate?: (text: string) => string | undefined }): Promise<string> {
  return new Promise((resolve, reject) => {
    const box = vscode.window.createInputBox();
    box.title = `Start Training: ${title}`;
    box.step = step;
    box.totalSteps = totalSteps;
    box.value = options.value;
    box.prompt = options.prompt;
    box.ignoreFocusOut = true;
    const check = () => {
      box.validationMessage = options.validate?.(box.value);
    };
    check();
    let settled = false;
    box.onDidChangeValue(check);
    box.onDidAccept(() => {
      check();
      if (box.validationMessage) return;
      settled = true;
      resolve(box.value);
      box.hide();
    });
    box.onDidHide(() => {
      box.dispose();
      if (!settled) reject(new FormCancelled());
    });
    box.show();
  });
}

interface Choice<T> extends vscode.QuickPickItem {
  value: T;
}

function pick<T>(step: number, title: string, items: Choice<T>[], placeholder: string, active?: T): Promise<T> {
  return new Promise((resolve, reject) => {
    const quick = vscode.window.createQuickPick<Choice<T>>();
    quick.title = `Start Training: ${title}`;
    quick.step = step;
    quick.totalSteps = totalSteps;
    quick.items = items;
    quick.placeholder = placeholder;
    quick.ignoreFocusOut = true;
    quick.matchOnDescription = true;
    const activeItem = items.find((i) => i.value === active);
    if (activeItem) quick.activeItems = [activeItem];
    let settled = false;
    quick.onDidAccept(() => {
      const chosen = quick.selectedItems[0] ?? quick.activeItems[0];
      if (!chosen) return;
      settled = true;
      resolve(chosen.value);
      quick.hide();
    });
    quick.onDidHide(() => {
      quick.dispose();
      if (!settled) reject(new FormCancelled());
    });
    quick.show();
  });
}

const wholeNumber = (min: number, label: string) => (text: string) =>
  /^\s*\d+\s*$/.test(text) && Number(text) >= min ? undefined : `${label}: a whole number ≥ ${min}`;

/** The tutorial's guidance on vectors per token, shown on the items. */
const vectorChoices = [1, 2, 4, 8, 12, 16, 24, 32, 48];

export interface StartTrainingInputs {
  /** Prefilled values: defaults ← setting ← last run of this dataset. */
  initial: RunConfig;
  /** Where the model path comes from when `initial.model` is empty. */
  pickModel: () => Promise<string | undefined>;
  /** The run folder a run of this name would get (shown on the last page). */
  runFolderFor: (name: string) => string;
}

/** Asks for the run configuration; undefined when the user cancelled. */
export async function askRunConfig({ initial, pickModel, runFolderFor }: StartTrainingInputs): Promise<RunConfig | undefined> {
  try {
    const c: RunConfig = { ...initial };
    // 1. model
    const modelChoices: Choice<string>[] = [];
    if (c.model) modelChoices.push({ label: basename(c.model), description: c.model, detail: 'From the embeddingStudio.modelPath setting or the last run', value: c.model });
    modelChoices.push({ label: '$(folder-opened) Choose a checkpoint file…', detail: 'An SD1.x .safetensors (A1111 single-file layout)', value: '' });
    let model = await pick(1, 'model', modelChoices, 'The Stable Diffusion 1.x checkpoint to train against', c.model);
    if (!model) model = (await pickModel()) ?? '';
    if (!model) return undefined;
    c.model = model;
    // 2. name
    c.name = await input(2, 'embedding name', {
      value: c.name,
      prompt: 'The embedding name: the word you will write in prompts, and the file name (NAME.safetensors)',
      validate: embeddingNameProblem,
    });
    // 3. vectors per token
    const vectorItems: Choice<number>[] = vectorChoices.map((n) => ({ label: `${n}`, detail: vectorsAdvice(n), value: n }));
    if (!vectorChoices.includes(c.vectors)) vectorItems.unshift({ label: `${c.vectors}`, description: 'last used', detail: vectorsAdvice(c.vectors), value: c.vectors });
    c.vectors = await pick(3, 'vectors per token', vectorItems, 'Vectors per token: more vectors hold more detail but train slower and use more of the 75-token prompt', c.vectors);
    // 4. init text
    c.initText = await input(4, 'initialization text', {
      value: c.initText,
      prompt: 'The vectors start from the token embeddings of this text ("*" by default; a word close to the subject, e.g. "girl", can help)',
    });
    // 5. learning rate schedule
    c.learnRate = await input(5, 'learning rate', {
      value: c.learnRate,
      prompt: 'A rate or an A1111 schedule, e.g. 0.005 or 0.005:12000, 0.0001:20000, 0.00001 (lower it as the previews stop changing)',
      validate: (text) => {
        try {
          parseLearningRateSchedule(text, c.maxSteps > 0 ? c.maxSteps : 1);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      },
    });
    // 6. template
    const templateItems: Choice<string>[] = [
      ...[suggestedTemplateForCharacter, ...shippedTemplateNames.filter((t) => t !== suggestedTemplateForCharacter)].map((t) => ({
        label: t,
        detail:
          t === suggestedTemplateForCharacter
            ? 'A character or a person (the tutorial trains characters with this one)'
            : t === 'style_filewords'
              ? "A style (A1111's default)"
              : t.startsWith('subject')
                ? 'A subject, without the caption text'
                : 'A style, without the caption text',
        value: t,
      })),
      { label: '$(folder-opened) A template file…', detail: 'Lines with [name] and [filewords]', value: '' },
    ];
    if (c.template && !(shippedTemplateNames as readonly string[]).includes(c.template)) templateItems.unshift({ label: basename(c.template), description: c.template, value: c.template });
    let template = await pick(6, 'prompt template', templateItems, 'The prompt template: [name] is the embedding, [filewords] the caption', c.template);
    if (!template) {
      const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Prompt templates': ['txt'] }, title: 'Prompt template file' });
      if (!chosen?.[0]) return undefined;
      template = chosen[0].fsPath;
    }
    c.template = template;
    // 7–10. steps, saving, previews, batch
    c.maxSteps = Number(await input(7, 'max steps', { value: String(c.maxSteps), prompt: 'Training stops after this many steps (A1111 default 100000; you can stop earlier)', validate: wholeNumber(1, 'max steps') }));
    c.saveEvery = Number(await input(8, 'save every', { value: String(c.saveEvery), prompt: 'Save an embedding (and the resumable state) every N steps; 0 saves only at the end', validate: wholeNumber(0, 'save every') }));
    c.previewEvery = Number(await input(9, 'preview every', { value: String(c.previewEvery), prompt: 'Render a preview image every N steps (a fixed seed and prompt, so previews compare); 0 for none', validate: wholeNumber(0, 'preview every') }));
    c.batchSize = Number(await input(10, 'batch size', { value: String(c.batchSize), prompt: 'Images per step (more needs more memory)', validate: wholeNumber(1, 'batch size') }));
    c.out = runFolderFor(c.name);
    // the learning rate was checked against the max steps it was typed with; check the whole again
    return (await confirmRunConfig(c)) ? c : undefined;
  } catch (error) {
    if (error instanceof FormCancelled) return undefined;
    throw error;
  }
}

/** Shows the configuration and the trainer's warnings; true to start. */
async function confirmRunConfig(c: RunConfig): Promise<boolean> {
  const problems = validateRunConfig(c);
  const errors = problems.filter((p) => p.severity === 'error');
  const items: Choice<'start' | 'cancel' | 'info'>[] = [];
  if (errors.length === 0) items.push({ label: '$(play) Start training', description: `${c.name}: ${c.maxSteps} steps at ${c.learnRate}`, value: 'start' });
  for (const p of problems) items.push({ label: `${p.severity === 'error' ? '$(error)' : '$(warning)'} ${p.field}`, detail: p.message, value: 'info' });
  items.push(
    { label: 'Model', description: c.model, value: 'info' },
    { label: 'Dataset', description: c.data, value: 'info' },
    { label: 'Run folder', description: c.out, value: 'info' },
    { label: 'Settings', description: `${c.vectors} vectors, init "${c.initText}", ${c.template}, ${c.width}×${c.height}, save every ${c.saveEvery}, preview every ${c.previewEvery}, batch ${c.batchSize}, provider ${c.provider}`, value: 'info' },
    { label: '$(close) Cancel', value: 'cancel' },
  );
  for (;;) {
    const choice = await vscode.window.showQuickPick(items, { title: 'Start Training: check and start', placeHolder: errors.length ? 'Fix the errors listed here and run Start Training again' : 'Start training with these settings?', ignoreFocusOut: true });
    if (!choice || choice.value === 'cancel') return false;
    if (choice.value === 'start') return true;
  }
}

/** Defaults ← `embeddingStudio.training.defaults` ← the dataset's last run ← what this start fixes. */
export function initialRunConfig(layers: Partial<RunConfig>[]): RunConfig {
  return mergeRunConfig(Object.assign({}, ...layers) as Partial<RunConfig>);
}
