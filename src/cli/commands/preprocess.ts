// `embedding-studio preprocess SRC DST [options]`: crop/resize a folder of images to the training
// size (the tutorial's step 4) with captions copied along. Exit 0 when every image was written,
// 1 when some could not be read, 2 on bad usage, an unreadable folder or a refused mirror.
import type { CliCommand } from '../cliCommand';
import { preprocessImages, type CropMode } from '../../dataset/preprocess';
import { MirrorRefusedError } from '../../dataset/mirrorPolicy';
import { defaultSplitOptions } from '../../dataset/imageTiles';
import { isImageFile } from '../../dataset/imageLoading';
import { Tagger } from '../../dataset/tagger';
import { taggerSubjectScorer } from '../../dataset/taggerSubjectScorer';
import type { ProviderChoice } from '../../onnx/session';
import { promises as fs } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseCommandArguments } from '../commandArguments';

const usage = `Usage: embedding-studio preprocess SRC DST [options]

Writes every image of SRC as a PNG of the target size into DST, with its caption copied along.
  --size N               square target size (default 512)
  --width W --height H   non-square target size
  --crop centre|focal    centre crop, or the crop holding the most detail (default centre)
  --split                cut very long images into overlapping tiles instead of one crop
  --split-threshold F    split when one crop keeps at most F of the long side (default ${defaultSplitOptions.threshold})
  --overlap F            minimum tile overlap as a fraction of a tile (default ${defaultSplitOptions.overlapRatio})
  --mirror               also write left-right mirrored copies (refused for heterochromia)
  --tagger-model M       a WD14 tagger model.onnx: focal crops keep what it tags (the subject),
                         and --mirror is also refused when it tags heterochromia
  --tagger-tags CSV      its selected_tags.csv (default: beside the model)
  --provider P           execution provider for the tagger: auto|cuda|dml|webgpu|cpu (default auto)
  --background COLOUR    colour transparent pixels are flattened onto (default #ffffff)
  --overwrite            replace outputs that already exist in DST (default: keep them, skip that image)
  --concurrency N        images processed at once (default: cores, at most 4)
  --json                 print the report as JSON
Exit status: 0 all written, 1 some images could not be read, 2 bad usage or input.
`;

function fail(message: string): number {
  process.stderr.write(`embedding-studio preprocess: ${message}\n`);
  return 2;
}

function positiveNumber(value: string | undefined, name: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a positive ${integer ? 'whole number' : 'number'}, not '${value}'`);
  return n;
}

export const preprocessCommand: CliCommand = {
  name: 'preprocess',
  summary: 'Crop/resize a folder of images to 512×512 (centre, focal point or tiles), captions copied along',
  async run(args) {
    const parsed = parseCommandArguments('preprocess', usage, args, {
      size: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      crop: { type: 'string', default: 'centre' },
      split: { type: 'boolean', default: false },
      'split-threshold': { type: 'string' },
      overlap: { type: 'string' },
      mirror: { type: 'boolean', default: false },
      background: { type: 'string', default: '#ffffff' },
      'tagger-model': { type: 'string' },
      'tagger-tags': { type: 'string' },
      provider: { type: 'string', default: 'auto' },
      overwrite: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (typeof parsed === 'number') return parsed;
    const v = parsed.values;
    if (parsed.positionals.length !== 2) return fail(`expected SRC and DST folders, got ${parsed.positionals.length} arguments\n\n${usage}`);
    const crop = v.crop === 'center' ? 'centre' : v.crop;
    if (crop !== 'centre' && crop !== 'focal') return fail(`--crop must be centre or focal, not '${v.crop}'`);
    if (!/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(v.background)) return fail(`--background must be a colour like #ffffff, not '${v.background}'`);
    let width: number, height: number, threshold: number, overlap: number, concurrency: number | undefined;
    try {
      const size = positiveNumber(v.size, 'size', true) ?? 512;
      width = positiveNumber(v.width, 'width', true) ?? size;
      height = positiveNumber(v.height, 'height', true) ?? size;
      threshold = positiveNumber(v['split-threshold'], 'split-threshold', false) ?? defaultSplitOptions.threshold;
      overlap = v.overlap === '0' ? 0 : (positiveNumber(v.overlap, 'overlap', false) ?? defaultSplitOptions.overlapRatio);
      concurrency = positiveNumber(v.concurrency, 'concurrency', true);
      if (threshold > 1 || overlap >= 1) throw new Error('--split-threshold must be at most 1 and --overlap below 1');
    } catch (error) {
      return fail((error as Error).message);
    }
    const [sourceDir, destinationDir] = parsed.positionals;
    const interactive = process.stderr.isTTY && !v.json;
    if (!['auto', 'cuda', 'dml', 'webgpu', 'cpu'].includes(v.provider)) return fail(`--provider must be auto, cuda, dml, webgpu or cpu, not '${v.provider}'`);
    let tagger: Tagger | undefined;
    let report;
    try {
      const taggerResults: { file: string; text: string }[] = [];
      if (v['tagger-model']) {
        const model = resolve(v['tagger-model']);
        tagger = await Tagger.open(model, resolve(v['tagger-tags'] ?? join(dirname(model), 'selected_tags.csv')), { provider: v.provider as ProviderChoice });
        if (v.mirror) {
          const images = (await fs.readdir(sourceDir).catch(() => [] as string[])).filter(isImageFile).sort().map((name) => join(sourceDir, name));
          for (const tagged of await tagger.tagImages(images)) taggerResults.push({ file: tagged.image, text: tagged.result.captionTags.join(', ') });
        }
      }
      report = await preprocessImages({
        taggerResults,
        subjectScorer: tagger ? taggerSubjectScorer(tagger) : undefined,
        sourceDir,
        destinationDir,
        width,
        height,
        crop: crop as CropMode,
        split: v.split ? { threshold, overlapRatio: overlap } : false,
        mirror: v.mirror,
        background: v.background,
        overwrite: v.overwrite ? 'always' : 'never',
        concurrency,
        onProgress: interactive ? ({ done, total }) => process.stderr.write(`\r${done}/${total} images`) : undefined,
      });
    } catch (error) {
      if (interactive) process.stderr.write('\n');
      return fail(error instanceof MirrorRefusedError ? error.message : (error as Error).message);
    } finally {
      await tagger?.release();
    }
    if (interactive) process.stderr.write('\n');
    if (v.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } else {
      for (const f of report.failed) process.stdout.write(`skipped ${f.file}: ${f.reason}\n`);
      for (const f of report.notOverwritten) process.stdout.write(`kept existing outputs of ${f} (use --overwrite to replace them)\n`);
      process.stdout.write(
        `${report.processed} of ${report.total} images → ${report.written.length} files in ${destinationDir}` +
          `${report.captionsCopied.length ? `, ${report.captionsCopied.length} captions copied` : ''}` +
          `${report.failed.length ? `, ${report.failed.length} unreadable` : ''}\n`,
      );
    }
    return report.failed.length > 0 ? 1 : 0;
  },
};
