// `embedding-studio lint` end to end: the real CLI process on a generated dataset of real PNG
// files, JSON and text output, exit codes 0 / 1 / 2.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { runBounded } from '../support/timeLimits';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captionedImages, writeDataset, removeDataset } from '../lint/lintFixture';

const repoRoot = join(__dirname, '../..');
const dirs: string[] = [];
after(() => dirs.forEach(removeDataset));

function cli(...args: string[]) {
  const result = runBounded(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'lint', ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('JSON output: relative paths, LSP ranges, severities, codes, fixes with relative edits; exit 0 without errors', async () => {
  const spec = {
    ...captionedImages(Array.from({ length: 50 }, (_, i) => (i === 0 ? '1girl, leaf, absurdres' : `1girl, school uniform, smile`))),
    'extra.png': { width: 512, height: 512 },
  };
  const dir = await writeDataset(spec);
  dirs.push(dir);
  const { code, stdout, stderr } = cli(dir, '--format', 'json');
  assert.equal(stderr, '');
  assert.equal(code, 0);
  const out = JSON.parse(stdout) as { diagnostics: Array<Record<string, unknown>> };
  assert.deepEqual(Object.keys(out), ['diagnostics']);
  const byCode = (c: string) => out.diagnostics.filter((d) => d.code === c);
  const meta = byCode('meta-tag')[0];
  assert.deepEqual(Object.keys(meta), ['file', 'range', 'severity', 'code', 'message', 'fixes']);
  assert.equal(meta.file, 'img0.txt');
  assert.deepEqual(meta.range, { start: { line: 0, character: 13 }, end: { line: 0, character: 22 } });
  assert.equal(meta.severity, 'warning');
  const fixes = meta.fixes as Array<{ title: string; edits: Array<{ file: string; range: unknown; newText: string }> }>;
  assert.deepEqual(fixes[0], { title: 'Remove `absurdres`', edits: [{ file: 'img0.txt', range: { start: { line: 0, character: 11 }, end: { line: 0, character: 22 } }, newText: '' }] });
  // Dataset-wide fixes arrive with their edits resolved.
  assert.deepEqual(fixes.find((f) => f.title.startsWith('Remove meta tags from every caption'))!.edits.map((e) => e.file), ['img0.txt']);
  const datasetFixTitles = out.diagnostics.flatMap((d) => (d.fixes as Array<{ title: string }>).map((f) => f.title)).filter((t) => t.includes('every caption of the dataset'));
  assert.equal(new Set(datasetFixTitles).size, datasetFixTitles.length, 'each dataset-wide fix appears once');
  const vague = byCode('vague-tag')[0];
  assert.equal(vague.file, 'img0.txt');
  assert.deepEqual(byCode('missing-caption').map((d) => [d.file, d.severity]), [['extra.png', 'warning']]);
  assert.deepEqual(byCode('dataset-size').map((d) => [d.file, d.severity]), [['.', 'information']]); // 51 images
  assert.ok(out.diagnostics.every((d) => ['error', 'warning', 'information', 'hint'].includes(d.severity as string)));
});

test('text output: compiler-style lines and a summary; exit 1 when an error is found', async () => {
  const dir = await writeDataset({
    ...captionedImages(['1girl, heterochromia', '1girl,smile']),
    '.embedding-studio/training.json': '{"mirror": true}',
  });
  dirs.push(dir);
  const { code, stdout } = cli(dir);
  assert.equal(code, 1);
  const lines = stdout.trimEnd().split('\n');
  assert.ok(lines.includes('img0.txt:1:8 error heterochromia-flip `heterochromia` while mirrored copies are on (.embedding-studio/training.json "mirror": true): mirroring swaps the eyes, so the embedding learns the colours both ways round. Turn mirroring off.'), stdout);
  assert.ok(lines.some((l) => l.startsWith('img1.txt:1:6 warning formatting Missing space after the comma')), stdout);
  assert.match(lines[lines.length - 1], /^2 images, 2 captions: 1 errors, \d+ warnings, \d+ information, \d+ hints in \d+ files$/);
});

test('a config file turns rules off or changes severity', async () => {
  const dir = await writeDataset(captionedImages(['1girl, absurdres']));
  dirs.push(dir);
  const config = join(dir, 'lint-config.json');
  writeFileSync(config, JSON.stringify({ rules: { 'meta-tag': 'error', 'dataset-size': 'off' } }));
  const { code, stdout } = cli(dir, '--config', config, '--format', 'json');
  assert.equal(code, 1);
  const out = JSON.parse(stdout) as { diagnostics: Array<{ code: string; severity: string }> };
  assert.deepEqual(out.diagnostics.filter((d) => d.code === 'meta-tag').map((d) => d.severity), ['error']);
  assert.deepEqual(out.diagnostics.filter((d) => d.code === 'dataset-size'), []);
});

test('bad usage and unreadable input exit 2 with a clear message', async () => {
  const dir = await writeDataset({ 'a.txt': 'x' });
  dirs.push(dir);
  writeFileSync(join(dir, 'bad.json'), '{"rules": {"no-such-rule": "off"}}');
  const cases: Array<[string[], RegExp]> = [
    [[], /expected one dataset folder, got 0/],
    [[dir, '--format', 'xml'], /--format must be json or text, not 'xml'/],
    [[join(dir, 'missing')], /cannot open .*missing \(ENOENT\); check the path/],
    [[join(dir, 'a.txt')], /a\.txt is not a folder/],
    [[dir, '--config', join(dir, 'bad.json')], /unknown rule 'no-such-rule'/],
    [[dir, '--config', join(dir, 'nope.json')], /cannot read the config/],
    [[dir, '--frobnicate'], /Unknown option '--frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr, stdout } = cli(...args);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, message);
    assert.equal(stdout, '');
  }
});

// No Hugging Face cache or home folder to find a tokenizer in: the default search finds nothing.
function cliWithoutCaches(...args: string[]) {
  const empty = mkdtempSync(join(tmpdir(), 'es-no-cache-'));
  dirs.push(empty);
  const env = { ...process.env, HOME: empty, HF_HOME: empty, HF_HUB_CACHE: empty, HUGGINGFACE_HUB_CACHE: empty, XDG_CACHE_HOME: empty };
  const result = runBounded(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'lint', ...args], { cwd: repoRoot, encoding: 'utf8', env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('exact CLIP counts for caption-length (emphasis not counted): with --tokenizer, and by default from the shipped vocabulary', async () => {
  // Counts by hand (`long`, `hair`, `smile` are single CLIP tokens): 24 × "(long hair:1.3)" is
  // 24 × 2 words + 23 commas = 71, + ", smile, smile" = 75: within the limit.
  // 24 × "long hair" + "smile" + "long hair" = 71 + 2 + 3 = 76.
  const weighted = [...Array.from({ length: 24 }, () => '(long hair:1.3)'), 'smile', 'smile'].join(', ');
  const over = [...Array.from({ length: 24 }, () => 'long hair'), 'smile', 'long hair'].join(', ');
  const dir = await writeDataset(captionedImages([weighted, over]));
  dirs.push(dir);
  const vocabulary = join(repoRoot, 'resources', 'clip');

  const exact = cliWithoutCaches(dir, '--format', 'json', '--tokenizer', vocabulary);
  assert.equal(exact.stderr, '');
  assert.equal(exact.code, 0);
  const lengths = (JSON.parse(exact.stdout) as { diagnostics: Array<{ file: string; code: string; message: string; range: { start: { character: number } } }> }).diagnostics.filter((d) => d.code === 'caption-length');
  assert.deepEqual(lengths.map((d) => [d.file, d.range.start.character]), [['img1.txt', over.lastIndexOf('long hair')]]);
  assert.match(lengths[0].message, /^This caption is 76 CLIP tokens, over the 75/);

  const text = cliWithoutCaches(dir, '--tokenizer', vocabulary);
  assert.equal(text.stderr, `caption-length: CLIP token counts from ${realpathSync(join(vocabulary, 'bpe_simple_vocab_16e6.txt.gz'))} (the path given)\n`);
  assert.ok(text.stdout.includes(`img1.txt:1:${over.lastIndexOf('long hair') + 1} warning caption-length This caption is 76 CLIP tokens`), text.stdout);

  // no --tokenizer, no Hugging Face cache, no home: the vocabulary shipped in resources/clip
  const byDefault = cliWithoutCaches(dir);
  assert.equal(byDefault.stderr, `caption-length: CLIP token counts from ${join(vocabulary, 'bpe_simple_vocab_16e6.txt.gz')} (shipped with Embedding Studio)\n`);
  assert.ok(byDefault.stdout.includes(`img1.txt:1:${over.lastIndexOf('long hair') + 1} warning caption-length This caption is 76 CLIP tokens`), byDefault.stdout);

  const missing = cliWithoutCaches(dir, '--tokenizer', join(dir, 'no-such-folder'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no-such-folder does not exist — point it at bpe_simple_vocab_16e6\.txt\.gz/);
});
