// The trainer processes the editor owns: at most one run per dataset folder, kept here (not in
// the monitor panel) so a run survives the panel being closed, is found again when the panel is
// reopened, and is stopped cleanly when the extension deactivates. No `vscode` import: the
// wiring is tested against the real worker without an editor.
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../../dataset/atomicWrite';
import type { TrainerCommand, TrainerEvent } from '../../protocol/trainerMessages';
import { readRunConfigFile, validateRunConfig, type ConfigProblem, type RunConfig } from '../../train/config';
import { TrainerProcess, type TrainerExit } from '../trainerProcess';

/**
 * The trainer's resumable state file (train/runState's runStateFileName). Spelled here because
 * importing runState would bundle the safetensors reader into the extension host.
 */
export const runStateFileName = 'run-state.safetensors';

export type RunStatus = 'starting' | 'training' | 'paused' | 'finished' | 'stopped' | 'crashed';

/** What the status bar, the Runs view and the commands show of a run. */
export interface RunSnapshot {
  datasetDir: string;
  runDir: string;
  name: string;
  status: RunStatus;
  /** What the worker is doing before training starts (loading the model, encoding latents…). */
  phase: string | null;
  step: number;
  maxSteps: number;
  loss: number | null;
  lossAverage: number | null;
  learningRate: number | null;
  stepsPerSecond: number | null;
  etaSeconds: number | null;
  provider: string | null;
  /** Lowest loss at a saved embedding (the rollback candidate). */
  bestLoss: number | null;
  bestEmbedding: string | null;
  savedEmbeddings: string[];
  lastPreview: string | null;
  exit: TrainerExit | null;
}

/** Raised before any process starts: the configuration has errors (every one is listed). */
export class RunConfigRejected extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.filter((p) => p.severity === 'error').map((p) => `${p.field}: ${p.message}`).join('\n'));
  }
}

/** Raised when a dataset already has a run in progress. */
export class RunAlreadyActive extends Error {
  constructor(readonly run: TrainingRun) {
    super(`${run.snapshot.datasetDir} is already being trained ("${run.snapshot.name}", step ${run.snapshot.step}); stop that run first or open its monitor`);
  }
}

interface TrainingRunEvents {
  event: [TrainerEvent];
  change: [RunSnapshot];
  exit: [TrainerExit];
}

/** One trainer process and what it has reported so far. */
export class TrainingRun extends EventEmitter<TrainingRunEvents> {
  /** Every event of this process, for a monitor opened (or reopened) after the start. */
  readonly events: TrainerEvent[] = [];
  readonly snapshot: RunSnapshot;
  private stopRequested = false;

  constructor(
    readonly process: TrainerProcess,
    config: RunConfig,
  ) {
    super();
    this.snapshot = {
      datasetDir: resolve(config.data),
      runDir: resolve(config.out),
      name: config.name,
      status: 'starting',
      phase: null,
      step: 0,
      maxSteps: config.maxSteps,
      loss: null,
      lossAverage: null,
      learningRate: null,
      stepsPerSecond: null,
      etaSeconds: null,
      provider: null,
      bestLoss: null,
      bestEmbedding: null,
      savedEmbeddings: [],
      lastPreview: null,
      exit: null,
    };
    process.on('event', (event) => this.receive(event));
    process.on('exit', (exit) => {
      const s = this.snapshot;
      s.exit = exit;
      s.status = exit.kind === 'finished' ? (exit.event.reason === 'completed' ? 'finished' : 'stopped') : this.stopRequested ? 'stopped' : 'crashed';
      s.etaSeconds = null;
      this.emit('change', s);
      this.emit('exit', exit);
    });
  }

  get running(): boolean {
    return this.process.running;
  }

  /** Forwards a command; false when the process has already exited. */
  send(command: TrainerCommand): boolean {
    if (command.type === 'stop') this.stopRequested = true;
    return this.process.send(command);
  }

  /** Asks the trainer to save and stop; kills it after `graceMs`. Resolves when it has exited. */
  stop(graceMs?: number): Promise<void> {
    this.stopRequested = true;
    return this.process.stop(graceMs);
  }

  /** Resolves with how the process ended (at once when it already has). */
  exited(): Promise<TrainerExit> {
    if (this.snapshot.exit) return Promise.resolve(this.snapshot.exit);
    return new Promise((done) => this.once('exit', done));
  }

  private receive(event: TrainerEvent): void {
    this.events.push(event);
    const s = this.snapshot;
    switch (event.type) {
      case 'started':
        s.status = 'training';
        s.step = event.startStep;
        s.maxSteps = event.maxSteps;
        s.provider = event.provider;
        s.phase = null;
        break;
      case 'phase':
        s.phase = event.phase === 'training' ? null : event.detail ? `${event.phase}: ${event.detail}` : event.phase;
        break;
      case 'progress':
        s.step = event.step;
        s.loss = event.loss;
        s.lossAverage = event.lossAverage;
        s.learningRate = event.learningRate;
        s.stepsPerSecond = event.stepsPerSecond;
        s.etaSeconds = event.etaSeconds;
        if (s.status === 'starting') s.status = 'training';
        break;
      case 'saved':
        if (event.kind === 'embedding') {
          if (!s.savedEmbeddings.includes(event.path)) s.savedEmbeddings.push(event.path);
          if (event.loss !== null && (s.bestLoss === null || event.loss < s.bestLoss)) {
            s.bestLoss = event.loss;
            s.bestEmbedding = event.path;
          }
        }
        break;
      case 'preview':
        s.lastPreview = event.path;
        break;
      case 'paused':
        s.status = 'paused';
        break;
      case 'resumed':
        s.status = 'training';
        break;
      case 'learningRateChanged':
        s.learningRate = event.learningRate;
        break;
      case 'finished':
        s.step = event.step;
        if (event.bestLoss !== null) s.bestLoss = event.bestLoss;
        break;
      default:
        break;
    }
    this.emit('event', event);
    this.emit('change', s);
  }
}

export interface RunRegistryOptions {
  /** The bundled worker, `dist/trainer.js`. */
  workerPath: string;
  env?: NodeJS.ProcessEnv;
}

interface RunRegistryEvents {
  /** A run was started (or resumed). */
  added: [TrainingRun];
  /** A run's snapshot changed (progress, status). */
  changed: [TrainingRun];
}

export class RunRegistry extends EventEmitter<RunRegistryEvents> {
  private readonly runs = new Map<string, TrainingRun>();

  constructor(private readonly options: RunRegistryOptions) {
    super();
  }

  /** Checks a configuration the way the trainer will, plus the files it needs; errors and warnings. */
  static check(config: RunConfig): ConfigProblem[] {
    const problems = validateRunConfig(config);
    const missing = (field: 'model' | 'data', what: string, way: string) => problems.push({ field, severity: 'error', message: `${what} ${config[field]} does not exist; ${way}` });
    if (config.model && !existsSync(config.model)) missing('model', 'the model', 'set embeddingStudio.modelPath or pick the checkpoint file');
    if (config.data && !(existsSync(config.data) && statSync(config.data).isDirectory())) missing('data', 'the dataset folder', 'pick the folder that holds the images and captions');
    if (!config.out) problems.push({ field: 'out', severity: 'error', message: 'no run folder (out) was given' });
    return problems;
  }

  /** The run training this dataset, if any (finished runs are forgotten). */
  forDataset(datasetDir: string): TrainingRun | undefined {
    const run = this.runs.get(resolve(datasetDir));
    return run?.running ? run : undefined;
  }

  forRunDir(runDir: string): TrainingRun | undefined {
    const wanted = resolve(runDir);
    return [...this.runs.values()].find((run) => run.snapshot.runDir === wanted);
  }

  /** Every run this session started, running or not (latest per dataset). */
  all(): TrainingRun[] {
    return [...this.runs.values()];
  }

  active(): TrainingRun[] {
    return this.all().filter((run) => run.running);
  }

  /**
   * Starts a new run: refuses a configuration with errors and a dataset already being trained,
   * writes `run-config.json` in the run folder and forks the trainer on it.
   */
  start(config: RunConfig): TrainingRun {
    const problems = RunRegistry.check(config);
    if (problems.some((p) => p.severity === 'error')) throw new RunConfigRejected(problems);
    const runDir = resolve(config.out);
    if (existsSync(join(runDir, runStateFileName))) {
      throw new Error(`${runDir} already holds a run (${runStateFileName}); resume it, or choose another embedding name or run folder`);
    }
    return this.launch({ ...config, model: resolve(config.model), data: resolve(config.data), out: runDir }, false);
  }

  /** Continues a run from its folder's last save (after a stop, a crash or a kill). */
  resume(runDir: string): TrainingRun {
    const dir = resolve(runDir);
    const configPath = join(dir, 'run-config.json');
    if (!existsSync(join(dir, runStateFileName))) {
      throw new Error(`${dir}: nothing to resume — there is no ${runStateFileName} yet (a run saves its state at the first "save every" step); start a new run instead`);
    }
    const config = readRunConfigFile(configPath);
    return this.launch({ ...config, out: dir }, true);
  }

  private launch(config: RunConfig, resume: boolean): TrainingRun {
    const datasetDir = resolve(config.data);
    const busy = this.forDataset(datasetDir);
    if (busy) throw new RunAlreadyActive(busy);
    mkdirSync(config.out, { recursive: true });
    const configPath = join(config.out, 'run-config.json');
    if (!resume) writeFileAtomicSync(configPath, JSON.stringify(config, null, 2) + '\n');
    const process = new TrainerProcess({ workerPath: this.options.workerPath, configPath, logDir: config.out, resume, env: this.options.env });
    const run = new TrainingRun(process, config);
    this.runs.set(datasetDir, run);
    run.on('change', () => this.emit('changed', run));
    this.emit('added', run);
    return run;
  }

  /** Stops every running trainer (each saves first), killing those that do not exit in `graceMs`. */
  async stopAll(graceMs = 4_000): Promise<void> {
    await Promise.all(this.active().map((run) => run.stop(graceMs)));
  }

  /** Kills every running trainer at once (the last resort on shutdown). */
  killAll(): void {
    for (const run of this.active()) run.process.kill();
  }
}

/** The run configuration stored in a run folder, or null when it has none or it is unreadable. */
export function readStoredRunConfig(runDir: string): RunConfig | null {
  try {
    return readRunConfigFile(join(runDir, 'run-config.json'));
  } catch {
    return null;
  }
}

/** The last lines of a trainer log, for a crash report. */
export function logTail(logPath: string, lines = 20): string {
  try {
    return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
