// The fault suite, bad inputs: every input of the corpus (badInputCorpus.ts) against every command
// that meets it — lint, the caption server (real JSON-RPC), train, preprocess and tag over one
// dataset holding all the bad files; model-info and train on bad models; train on bad init
// embeddings, bad flags and bad folders — each checked against the table (expectedOutcomes.ts).
// Besides each cell: no command crashes, none prints a raw error (a stack, an errno string, an
// exception name), and every message names its file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import type { CliCommand } from '../../src/cli/cliCommand';
import { lintCommand } from '../../src/cli/commands/lint';
import { modelInfoCommand } from '../../src/cli/commands/modelInfo';
import { preprocessCommand } from '../../src/cli/commands/preprocess';
import { tagCommand } from '../../src/cli/commands/tag';
import { trainCommand } from '../../src/cli/commands/train';
import { v2Like, writeTestTagger } from '../dataset/testTaggerModel';
import { LanguageServerClient, fileUri } from '../server/languageServerClient';
import { clipVocabularyPath, tinyModelPath } from '../train/tinyTrainingRun';
import { datasetInputIds, embeddingInputIds, folderInputIds, modelInputIds, writeCorpus, type Corpus, type DatasetInputId } from './badInputCorpus';
import { datasetCommands, datasetExpectations, embeddingExpectations, flagExpectations, folderExpectations, modelExpectations, type DatasetCommand, type Verdict } from './expectedOutcomes';

const root = mkdtempSync(join(tmpdir(), 'es-fault-inputs-'));
let corpus: Corpus;
let tagger: { model: string; tags: string };
after(() => rmSync(root, { recursive: true, force: true }));

/** Output no user should see: a stack frame, a bare errno message, an exception's name. */
const rawMessage = /^\s+at .+[(:]\d+|\b(TypeError|RangeError|ReferenceError|SyntaxError)\b|\b(ENOENT|ELOOP|EISDIR|ENOTDIR|EACCES): [a-z]|\[object Object\]|Unhandled 'error'|\bundefined\b/m;

function assertNoRawMessage(output: string, what: string): void {
  const found = rawMessage.exec(output);
  assert.equal(found, null, `${what} printed a raw message: …${found ? output.slice(Math.max(0, found.index - 200), found.index + 200) : ''}…`);
}

const trainFlags = (model = tinyModelPath, data = '') => ['--model', model, '--data', data, '--tokenizer', clipVocabularyPath, '--text-heads', '4', '--unet-heads', '2', '--width', '64', '--height', '64', '--provider', 'cpu', '--name', 'fault', '--vectors', '2', '--steps', '2', '--save-every', '0', '--preview-every', '0'];
let runs = 0;
const nextOut = () => join(root, 'runs', `run-${++runs}`);

/**
 * A CLI command in this process with its output captured. Only strings are captured: the test
 * runner's own messages (Buffers, on the same stdout) pass through untouched.
 */
async function capturedRun(command: CliCommand, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => (typeof chunk === 'string' ? ((stdout += chunk), true) : out(chunk, ...(rest as [])))) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => (typeof chunk === 'string' ? ((stderr += chunk), true) : err(chunk, ...(rest as [])))) as typeof process.stderr.write;
  try {
    return { status: await command.run(args), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

async function run(command: CliCommand, args: string[]): Promise<{ status: number; output: string }> {
  const r = await capturedRun(command, args);
  const output = r.stdout + r.stderr;
  assertNoRawMessage(output, `${command.name} ${args.join(' ')}`);
  return { status: r.status, output };
}

before(async () => {
  corpus = await writeCorpus(root);
  mkdirSync(join(root, 'tagger'));
  tagger = writeTestTagger(join(root, 'tagger'), v2Like);
});

/** The image a dataset input belongs to (a caption's image has its stem). */
function imageOf(id: DatasetInputId): string {
  const name = corpus.datasetFiles[id];
  return name.endsWith('.txt') ? `${name.slice(0, -4)}.png` : name;
}

describe('bad dataset files × lint, server, train, preprocess, tag', { timeout: 10 * 60_000 }, () => {
  const outputs = {} as Record<Exclude<DatasetCommand, 'server'>, string>;
  const serverDiagnostics = new Map<string, Diagnostic[]>();
  const tally: Record<Verdict, number> = { refused: 0, warned: 0, accepted: 0 };

  before(async () => {
    const lint = await run(lintCommand, [corpus.dataset, '--format', 'json', '--tokenizer', clipVocabularyPath]);
    assert.equal(lint.status, 1, 'lint finds errors');
    outputs.lint = lint.output;
    const train = await run(trainCommand, [...trainFlags(tinyModelPath, corpus.dataset), '--out', nextOut()]);
    assert.equal(train.status, 0, `train trains the usable images:\n${train.output}`);
    outputs.train = train.output;
    const preprocess = await run(preprocessCommand, [corpus.dataset, join(root, 'preprocessed'), '--size', '64']);
    assert.equal(preprocess.status, 1, 'preprocess says some images could not be read');
    outputs.preprocess = preprocess.output;
    // --diff: review only, so the dataset stays as generated
    const tag = await run(tagCommand, [corpus.dataset, '--model', tagger.model, '--provider', 'cpu', '--diff']);
    outputs.tag = tag.output;
    const client = LanguageServerClient.start();
    try {
      const status = await bounded(client.initialize(corpus.dataset), 'the server to index');
      assert.equal(status.state, 'ready', status.message);
      for (const id of datasetInputIds) {
        const expectation = datasetExpectations[id];
        const file = join(corpus.dataset, corpus.datasetFiles[id]);
        // damaged image data is found by the decoding after indexing: wait for it (bounded)
        const wanted = expectation.verdicts.server === 'accepted' ? () => true : (d: Diagnostic[]) => d.some((x) => expectation.because.test(String(x.message)));
        serverDiagnostics.set(id, await bounded(client.diagnostics(fileUri(file), wanted), `diagnostics of ${basename(file)}`).catch(() => []));
      }
    } finally {
      await client.stop();
    }
  });


  for (const id of datasetInputIds) {
    for (const command of datasetCommands) {
      const verdict = datasetExpectations[id].verdicts[command];
      test(`${id} × ${command}: ${verdict}`, () => {
        const { because } = datasetExpectations[id];
        const name = corpus.datasetFiles[id];
        const image = imageOf(id);
        if (command === 'lint' || command === 'server') {
          const diagnostics: { severity: 'error' | 'warning' | 'information' | 'hint'; message: string }[] =
            command === 'lint'
              ? (JSON.parse(outputs.lint).diagnostics as { file: string; severity: 'error'; message: string }[]).filter((d) => d.file === name)
              : (serverDiagnostics.get(id) ?? []).map((d) => ({ severity: (['error', 'error', 'warning', 'information', 'hint'] as const)[d.severity ?? 1], message: String(d.message) }));
          const matching = diagnostics.filter((d) => because.test(d.message));
          if (verdict === 'refused') assert.ok(matching.some((d) => d.severity === 'error' && d.message.includes(basename(name))), `${command} on ${name}: ${JSON.stringify(diagnostics)}`);
          if (verdict === 'warned') assert.ok(matching.some((d) => d.severity === 'warning'), `${command} on ${name}: ${JSON.stringify(diagnostics)}`);
          if (verdict !== 'refused') assert.ok(!diagnostics.some((d) => d.severity === 'error'), `${command} on ${name}: ${JSON.stringify(diagnostics)}`);
        } else {
          const lines = outputs[command].split('\n').filter((l) => l.includes(name) || l.includes(image));
          const refusal = (l: string) =>
            command === 'train' ? /^warning: not trained: /.test(l) : command === 'preprocess' ? /^skipped /.test(l) : /^(skipped |unchanged .*\(left unchanged\))/.test(l);
          const said = lines.filter((l) => because.test(l));
          if (verdict === 'refused') assert.ok(said.some(refusal), `${command} on ${name}:\n${lines.join('\n') || outputs[command]}`);
          else assert.ok(!lines.some(refusal), `${command} on ${name} should use it:\n${lines.join('\n')}`);
          if (verdict === 'warned') assert.ok(said.some((l) => /^warning: /.test(l)), `${command} on ${name}:\n${lines.join('\n')}`);
          if (command === 'preprocess' && verdict === 'accepted') assert.ok(existsSync(join(root, 'preprocessed', `${image.replace(/\.[^.]+$/, '')}.png`)), `${image} was written`);
        }
        tally[verdict]++;
      });
    }
  }
  test('tally', (t) => {
    const cells = Object.values(tally).reduce((a, b) => a + b, 0);
    t.diagnostic(`${datasetInputIds.length} bad dataset files × ${datasetCommands.length} commands = ${cells} cells passed: ${tally.refused} refused, ${tally.warned} warned, ${tally.accepted} accepted`);
    assert.equal(cells, datasetInputIds.length * datasetCommands.length);
  });
});

describe('bad models × model-info, train', { timeout: 10 * 60_000 }, () => {
  for (const id of modelInputIds) {
    test(`${id}`, async () => {
      const path = corpus.models[id];
      const expected = modelExpectations[id];
      const info = await run(modelInfoCommand, [path, '--text-heads', '4', '--unet-heads', '2']);
      assert.equal(info.status, expected.modelInfo.exit, info.output);
      assert.match(info.output, expected.modelInfo.message);
      assert.ok(info.output.includes(basename(path)), `model-info names ${basename(path)}: ${info.output}`);
      const out = nextOut();
      const train = await run(trainCommand, [...trainFlags(path, join(corpus.root, 'dataset')), '--out', out]);
      assert.equal(train.status, expected.train.exit, train.output);
      assert.match(train.output, expected.train.message);
      assert.ok(train.output.includes(basename(path)), `train names ${basename(path)}`);
      assert.ok(!existsSync(out), 'nothing written for a refused model');
    });
  }
});

describe('bad init embeddings, folders and flags × train (folders also × lint, preprocess, tag, server)', { timeout: 10 * 60_000 }, () => {
  for (const id of embeddingInputIds) {
    test(`--init-embedding ${id}`, async () => {
      const out = nextOut();
      const r = await run(trainCommand, [...trainFlags(tinyModelPath, corpus.dataset), '--init-embedding', corpus.embeddings[id], '--out', out]);
      assert.equal(r.status, embeddingExpectations[id].exit, r.output);
      assert.match(r.output, embeddingExpectations[id].message);
      assert.ok(!existsSync(out));
    });
  }
  for (const id of folderInputIds) {
    test(`folder ${id}`, async () => {
      const folder = corpus.folders[id];
      const expected = folderExpectations[id];
      const results = {
        lint: await run(lintCommand, [folder]),
        train: await run(trainCommand, [...trainFlags(tinyModelPath, folder), '--out', nextOut()]),
        preprocess: await run(preprocessCommand, [folder, join(root, `pre-${id}`)]),
        tag: await run(tagCommand, [folder, '--model', tagger.model, '--provider', 'cpu', '--diff']),
      };
      for (const [command, result] of Object.entries(results) as [keyof typeof results, { status: number; output: string }][]) {
        assert.equal(result.status, expected[command].exit, `${command}: ${result.output}`);
        assert.match(result.output, expected[command].message, command);
      }
      const client = LanguageServerClient.start();
      try {
        const status = await bounded(client.initialize(folder), 'the server to start');
        assert.equal(status.state, 'ready', 'the server keeps serving');
        // a folder that is not there is named as not indexed; a file given as a folder gets its diagnostic
        if (id === 'missing-folder') assert.match(status.message, /not indexed: .*absent-folder: cannot open the dataset folder \(ENOENT\)/);
        if (id === 'file-as-folder') assert.match(status.message, /^1 problem\(s\) in 1 file/);
      } finally {
        await client.stop();
      }
    });
  }
  for (const { what, flags, exit, message } of flagExpectations) {
    test(`train with ${what}`, async () => {
      const r = await run(trainCommand, [...trainFlags(tinyModelPath, join(corpus.root, 'dataset')), ...flags, '--out', nextOut()]);
      assert.equal(r.status, exit, r.output);
      assert.match(r.output, message);
    });
  }
  test('tag with a tagger model that is not one', async () => {
    const r = await run(tagCommand, [corpus.dataset, '--model', corpus.models['text-named-safetensors'], '--tags', tagger.tags, '--provider', 'cpu']);
    assert.equal(r.status, 2, r.output);
    assert.ok(r.output.includes('notes.safetensors'), r.output);
  });
});

function bounded<T>(promise: Promise<T>, what: string, ms = 60_000): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms).unref())]);
}
