// `embedding-studio tag DIR --model M [--tags CSV] [options]`: auto-tag a dataset with a WD14-style
// tagger (onnxruntime-node runs in this CLI process). Writes captions (new or append), or prints a
// diff with --mode diff and writes nothing. Exit 0 ok, 1 some images or captions failed, 2 bad usage/input.
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CliCommand } from '../cliCommand';
import { refusedLinkIn } from '../../dataset/datasetLinks';
import { isImageFile } from '../../dataset/imageLoading';
import { Tagger } from '../../dataset/tagger';
import { applyCaptionEdits, captionDiff, planCaptionEdits, type CaptionExtension } from '../../dataset/captionWriting';
import { defaultTagSelection, type TagSelectionOptions } from '../../dataset/taggerThresholds';
import type { ProviderChoice } from '../../onnx/session';
import { parseCommandArguments } from '../commandArguments';

const usage = `Usage: embedding-studio tag DIR --model MODEL.onnx [--tags selected_tags.csv] [options]

Tags every image in DIR with a WD14-style tagger and writes the captions.
  --tags CSV                 the model's selected_tags.csv (default: beside the model)
  --mode new|append|diff     new: caption images without one (default); append: also add
                             missing tags to existing captions; diff: print what append would
                             change and write nothing
  --diff                     print the changes of the chosen mode and write nothing
  --replace                  with --mode new, also replace existing captions
  --extension .txt|.caption  caption file extension (default .txt)
  --general-threshold F      default ${defaultTagSelection.generalThreshold}
  --character-threshold F    default ${defaultTagSelection.characterThreshold}
  --mcut                     MCut threshold for general tags
  --character-mcut           MCut threshold for character tags (at least 0.15)
  --include-rating           write the rating tag (general/sensitive/...) too
  --exclude TAGS             comma-separated tags never written
  --first TAGS               comma-separated tags written first (e.g. the embedding's name)
  --keep-underscores         keep long_hair instead of long hair
  --no-escape                do not escape parentheses
  --provider P               auto|cuda|dml|webgpu|cpu (default auto)
  --batch N                  images per run for dynamic-batch models (default 4)
  --json                     print results and the plan as JSON
Exit status: 0 ok, 1 some images or captions could not be handled, 2 bad usage or input.
`;

const providers = ['auto', 'cuda', 'dml', 'webgpu', 'cpu'];

function fail(message: string): number {
  process.stderr.write(`embedding-studio tag: ${message}\n`);
  return 2;
}

function threshold(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`--${name} must be a number between 0 and 1, not '${value}'`);
  return n;
}

const tagList = (text: string | undefined) => (text ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');

export const tagCommand: CliCommand = {
  name: 'tag',
  summary: 'Auto-tag a dataset folder with a WD14-style ONNX tagger and write captions',
  async run(args) {
    const parsed = parseCommandArguments('tag', usage, args, {
      model: { type: 'string' },
      tags: { type: 'string' },
      mode: { type: 'string', default: 'new' },
      replace: { type: 'boolean', default: false },
      diff: { type: 'boolean', default: false },
      extension: { type: 'string', default: '.txt' },
      'general-threshold': { type: 'string' },
      'character-threshold': { type: 'string' },
      mcut: { type: 'boolean', default: false },
      'character-mcut': { type: 'boolean', default: false },
      'include-rating': { type: 'boolean', default: false },
      exclude: { type: 'string' },
      first: { type: 'string' },
      'keep-underscores': { type: 'boolean', default: false },
      'no-escape': { type: 'boolean', default: false },
      provider: { type: 'string', default: 'auto' },
      batch: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (typeof parsed === 'number') return parsed;
    const v = parsed.values;
    if (parsed.positionals.length !== 1) return fail(`expected one dataset folder, got ${parsed.positionals.length}\n\n${usage}`);
    if (!v.model) return fail(`--model is required: the tagger's model.onnx (e.g. from SmilingWolf/wd-vit-tagger-v3)\n\n${usage}`);
    if (v.mode !== 'new' && v.mode !== 'append' && v.mode !== 'diff') return fail(`--mode must be new, append or diff, not '${v.mode}'`);
    if (v.extension !== '.txt' && v.extension !== '.caption') return fail(`--extension must be .txt or .caption, not '${v.extension}'`);
    if (!providers.includes(v.provider)) return fail(`--provider must be one of ${providers.join(', ')}, not '${v.provider}'`);
    let selection: Partial<TagSelectionOptions>;
    let batchSize: number | undefined;
    try {
      selection = {
        generalThreshold: threshold(v['general-threshold'], 'general-threshold') ?? defaultTagSelection.generalThreshold,
        characterThreshold: threshold(v['character-threshold'], 'character-threshold') ?? defaultTagSelection.characterThreshold,
        generalMcut: v.mcut,
        characterMcut: v['character-mcut'],
        includeRating: v['include-rating'],
        exclude: tagList(v.exclude),
        alwaysFirst: tagList(v.first),
        style: { replaceUnderscores: !v['keep-underscores'], escapeParentheses: !v['no-escape'] },
      };
      if (v.batch !== undefined) {
        batchSize = Number(v.batch);
        if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch must be a positive whole number, not '${v.batch}'`);
      }
    } catch (error) {
      return fail((error as Error).message);
    }

    const dir = resolve(parsed.positionals[0]);
    let images: string[];
    try {
      images = (await fs.readdir(dir)).filter(isImageFile).sort().map((name) => join(dir, name));
    } catch (error) {
      return fail(`cannot read the dataset folder ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path`);
    }
    if (images.length === 0) return fail(`${dir} holds no images (.png, .jpg, .webp, …)`);
    const failures: { image: string; reason: string }[] = [];
    // links that loop, dangle or leave the dataset folder are read by nothing (datasetLinks)
    images = images.filter((image) => {
      const refused = refusedLinkIn(dir, image, basename(image));
      if (refused) failures.push({ image, reason: refused });
      return !refused;
    });
    const modelPath = resolve(v.model);
    const tagsPath = resolve(v.tags ?? join(dirname(modelPath), 'selected_tags.csv'));

    let tagger: Tagger;
    try {
      tagger = await Tagger.open(modelPath, tagsPath, { provider: v.provider as ProviderChoice });
    } catch (error) {
      return fail((error as Error).message);
    }
    const interactive = process.stderr.isTTY && !v.json;
    let tagged;
    try {
      if (!v.json) process.stderr.write(`tagger: ${tagger.model.size}×${tagger.model.size}, ${tagger.model.fixedBatch === null ? 'dynamic batch' : `batch ${tagger.model.fixedBatch}`}, ${tagger.tags.tags.length} tags, on ${tagger.provider}\n`);
      tagged = await tagger.tagImages(images, {
        selection,
        batchSize,
        onImage: interactive ? (_, done, total) => process.stderr.write(`\r${done}/${total} images`) : undefined,
        onFailure: (image, reason) => failures.push({ image, reason }),
      });
      if (interactive) process.stderr.write('\n');
    } finally {
      await tagger.release();
    }
    const reviewOnly = v.mode === 'diff' || v.diff;
    const plan = await planCaptionEdits(
      tagged.map((t) => ({ image: t.image, tags: t.result.captionTags })),
      { mode: v.mode === 'new' ? 'new' : 'append', extension: v.extension as CaptionExtension, replaceExisting: v.replace },
    );
    const applied = reviewOnly ? { written: [], conflicts: [] } : await applyCaptionEdits(plan.edits);
    if (v.json) {
      process.stdout.write(
        JSON.stringify(
          {
            model: { ...tagger.model, provider: tagger.provider, outputKind: tagger.outputKind },
            images: tagged.map((t) => ({ image: t.image, tags: t.result.captionTags, rating: t.result.rating, general: t.result.general, character: t.result.character })),
            failed: failures,
            edits: plan.edits,
            unchanged: plan.unchanged,
            written: applied.written,
            conflicts: applied.conflicts,
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      if (reviewOnly) process.stdout.write(captionDiff(plan.edits));
      for (const f of failures) process.stdout.write(`skipped ${f.image}: ${f.reason}\n`);
      for (const u of plan.unchanged) if (!/no tags missing|already says/.test(u.reason)) process.stdout.write(`unchanged ${u.image}: ${u.reason}\n`);
      for (const c of applied.conflicts) process.stdout.write(`not written ${c}: it changed while tagging; run again\n`);
      process.stdout.write(
        reviewOnly
          ? `${plan.edits.length} captions would change (nothing written)\n`
          : `${tagged.length} images tagged, ${applied.written.length} captions written${failures.length ? `, ${failures.length} images unreadable` : ''}\n`,
      );
    }
    return failures.length > 0 || applied.conflicts.length > 0 ? 1 : 0;
  },
};
