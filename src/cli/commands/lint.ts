// `embedding-studio lint DIR [--format json|text] [--config FILE] [--tokenizer PATH] [--model PATH]`:
// the caption linter without VS Code. Exit 0 when no error-severity diagnostic, 1 otherwise, 2 on
// bad usage or input. Caption lengths are exact CLIP counts (by default with the vocabulary we
// ship); estimates only if no tokenizer can be found at all.
import { promises as fs } from 'node:fs';
import { resolve, relative, sep } from 'node:path';
import type { CliCommand } from '../cliCommand';
import { DatasetIndex } from '../../dataset/datasetIndex';
import { fullDecodeImageLimit } from '../../dataset/imageInfo';
import { lintDataset, allRules, type LintConfig, type LintDiagnostic, type TextEdit } from '../../lint';
import { parseCommandArguments } from '../commandArguments';
import { findCaptionTokenCounter } from '../../train/captionTokenCounterSearch';

/** Up to this many images, lint decodes each one in full, as training does. */
const verifiedImagesAtMost = fullDecodeImageLimit;

const usage = `Usage: embedding-studio lint DIR [--format json|text] [--config FILE] [--tokenizer PATH] [--model PATH]

Checks the captions and images of the dataset in DIR (images are decoded in full, as training
decodes them, for datasets of up to ${verifiedImagesAtMost} images).
  --format text   compiler-style lines "file:line:col severity code message" (default)
  --format json   {"diagnostics": [{file, range, severity, code, message, fixes}]}; a fix
                  across the whole dataset is listed once, on the first problem offering it
  --config FILE   JSON: {"rules": {"rule-id": "error"|"warning"|"information"|"hint"|"off"},
                         "extraVagueTags": {"tag": ["alternative", ...]}}
  --tokenizer PATH  the CLIP tokenizer for exact caption-length counts: a folder with
                  merges.txt + vocab.json or bpe_simple_vocab_16e6.txt.gz, or that file
  --model PATH    a diffusers model folder whose tokenizer/ to use
                  Without either, the Hugging Face cache (openai/clip-vit-large-patch14), then the
                  vocabulary shipped with Embedding Studio; text mode says on stderr which counts.
Exit status: 0 no errors, 1 errors found, 2 bad usage or unreadable input.
`;

export const lintCommand: CliCommand = {
  name: 'lint',
  summary: 'Check a dataset folder’s captions and images (vague tags, outfit, sizes…)',
  async run(args) {
    const parsed = parseCommandArguments('lint', usage, args, {
      format: { type: 'string', default: 'text' },
      config: { type: 'string' },
      tokenizer: { type: 'string' },
      model: { type: 'string' },
    });
    if (typeof parsed === 'number') return parsed;
    const format = parsed.values.format;
    if (format !== 'json' && format !== 'text') {
      process.stderr.write(`embedding-studio lint: --format must be json or text, not '${format}'\n`);
      return 2;
    }
    if (parsed.positionals.length !== 1) {
      process.stderr.write(`embedding-studio lint: expected one dataset folder, got ${parsed.positionals.length}\n\n${usage}`);
      return 2;
    }
    const root = resolve(parsed.positionals[0]);
    try {
      const stat = await fs.stat(root);
      if (!stat.isDirectory()) {
        process.stderr.write(`embedding-studio lint: ${root} is not a folder; pass the dataset folder holding the images and captions.\n`);
        return 2;
      }
    } catch (error) {
      process.stderr.write(`embedding-studio lint: cannot open ${root} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path.\n`);
      return 2;
    }
    let config: LintConfig = {};
    if (parsed.values.config) {
      const loaded = await readConfig(resolve(parsed.values.config));
      if (typeof loaded === 'string') {
        process.stderr.write(`embedding-studio lint: ${loaded}\n`);
        return 2;
      }
      config = loaded;
    }
    const tokenizerPath = parsed.values.tokenizer;
    const tokenizer = config.rules?.['caption-length'] === 'off' ? undefined : findCaptionTokenCounter({ settingPath: tokenizerPath ? resolve(tokenizerPath) : undefined, modelPath: parsed.values.model ? resolve(parsed.values.model) : undefined });
    if (tokenizer && !tokenizer.found && tokenizer.problem) {
      process.stderr.write(`embedding-studio lint: ${tokenizer.problem}\n`);
      return 2;
    }
    if (tokenizer?.found) config = { ...config, countTokens: tokenizer.counter.count };
    if (tokenizer && format === 'text') {
      process.stderr.write(
        tokenizer.found
          ? `caption-length: CLIP token counts from ${tokenizer.description}\n`
          : `caption-length: CLIP token counts are estimated (${tokenizer.reason} Pass --tokenizer PATH, or see --help)\n`,
      );
    }
    let index: DatasetIndex;
    try {
      // every image decoded as training will (damaged data passes a header check), up to a size
      index = await DatasetIndex.build(root, { verifyImageData: verifiedImagesAtMost });
    } catch (error) {
      process.stderr.write(`embedding-studio lint: ${(error as Error).message}\n`);
      return 2;
    }
    if (!index.imageDataVerified && format === 'text') {
      process.stderr.write(`images: more than ${verifiedImagesAtMost} — headers and file ends checked, image data not decoded (training decodes and skips what is damaged)\n`);
    }
    // Dataset-wide fixes are listed once, on the first problem offering them (see --help).
    const diagnostics = lintDataset(index, config, { resolveDeferredFixes: format === 'json', datasetFixesOnce: true });
    const rel = (file: string) => {
      const r = relative(root, file);
      return r === '' ? '.' : r.split(sep).join('/');
    };
    if (format === 'json') {
      const out = { diagnostics: diagnostics.map((d) => toJson(d, rel)) };
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else {
      for (const d of diagnostics) {
        process.stdout.write(`${rel(d.file)}:${d.range.start.line + 1}:${d.range.start.character + 1} ${d.severity} ${d.code} ${d.message}\n`);
      }
      process.stdout.write(summaryLine(diagnostics, index) + '\n');
    }
    return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  },
};

function toJson(d: LintDiagnostic, rel: (file: string) => string) {
  const edit = (e: TextEdit) => ({ file: rel(e.file), range: e.range, newText: e.newText });
  return {
    file: rel(d.file),
    range: d.range,
    severity: d.severity,
    code: d.code,
    message: d.message,
    fixes: d.fixes.map((f) => ({ title: f.title, edits: f.edits.map(edit) })),
  };
}

function summaryLine(diagnostics: LintDiagnostic[], index: DatasetIndex): string {
  const counts = { error: 0, warning: 0, information: 0, hint: 0 };
  for (const d of diagnostics) counts[d.severity]++;
  const files = new Set(diagnostics.map((d) => d.file)).size;
  return `${index.imageCount} images, ${index.captionCount} captions: ${counts.error} errors, ${counts.warning} warnings, ${counts.information} information, ${counts.hint} hints in ${files} files`;
}

async function readConfig(path: string): Promise<LintConfig | string> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(path, 'utf8'));
  } catch (error) {
    return `cannot read the config ${path} (${(error as Error).message}); it must be JSON like {"rules": {"rare-tag": "off"}}.`;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `${path}: the config must be a JSON object.`;
  const record = raw as Record<string, unknown>;
  const config: LintConfig = {};
  const ids = new Set(allRules.map((r) => r.id));
  const levels = new Set(['error', 'warning', 'information', 'hint', 'off']);
  if (record.rules !== undefined) {
    if (typeof record.rules !== 'object' || record.rules === null || Array.isArray(record.rules)) return `${path}: "rules" must map rule ids to a severity or "off".`;
    config.rules = {};
    for (const [id, level] of Object.entries(record.rules as Record<string, unknown>)) {
      if (!ids.has(id)) return `${path}: unknown rule '${id}' (known: ${[...ids].join(', ')}).`;
      if (typeof level !== 'string' || !levels.has(level)) return `${path}: rule '${id}' must be error, warning, information, hint or off.`;
      config.rules[id] = level as NonNullable<LintConfig['rules']>[string];
    }
  }
  if (record.extraVagueTags !== undefined) {
    const extra = record.extraVagueTags;
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) return `${path}: "extraVagueTags" must map a tag to a list of alternatives.`;
    config.extraVagueTags = {};
    for (const [tag, alternatives] of Object.entries(extra as Record<string, unknown>)) {
      if (!Array.isArray(alternatives) || !alternatives.every((a) => typeof a === 'string')) return `${path}: extraVagueTags["${tag}"] must be a list of strings.`;
      config.extraVagueTags[tag] = alternatives as string[];
    }
  }
  return config;
}
