import type { LintRule } from '../rule';
import { clipTokenLimit, estimateClipTokens } from '../tokenEstimate';
import { rangeOf } from '../../dataset/caption';

export const captionLengthRule: LintRule = {
  id: 'caption-length',
  defaultSeverity: 'warning',
  summary: 'A caption longer than the 75 tokens of one CLIP chunk: where its second chunk starts.',
  doc:
    'Counts the CLIP tokens of each caption. CLIP reads 75 tokens at a time. A longer prompt is not cut: AUTOMATIC1111, and training here, encode it as several 75-token chunks that do not see each other and join them; a tag that would straddle the boundary moves whole to the next chunk when the last comma is within 20 tokens of it (A1111\'s comma backtrack), and `BREAK` starts a new chunk on purpose. So this is a hint about where the chunk boundary falls, and the training prompt template adds its own words (`[name]`) on top of the caption. Tags in a later chunk are seen apart from the subject; if that is not wanted, drop meta, duplicate and fixed-trait tags first. The count is what AUTOMATIC1111 gives CLIP: emphasis syntax such as `(tag:1.2)` or `[tag]` is not counted, `\\(` counts as the bracket. It is exact when the CLIP tokenizer files are found: the `embeddingStudio.tokenizerPath` setting (or `--tokenizer` on the command line), the `tokenizer/` folder of a diffusers model in `embeddingStudio.modelPath` (`--model`), or openai/clip-vit-large-patch14 in the Hugging Face cache. Otherwise it is an estimate (each punctuation mark one token, each run of letters one token per 6 letters, each number one) and the message says so. The range starts at the first tag past the limit.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const caption = target.caption;
    if (caption.tags.length === 0) return;
    const last = caption.tags[caption.tags.length - 1];
    const counter = context.settings.countTokens;
    const body = caption.text.slice(0, last.end);
    const total = counter ? counter(body) : estimateClipTokens(body);
    if (total <= clipTokenLimit) return;
    // The first tag whose end crosses the limit: tags cost their own tokens plus the comma.
    let overflow = caption.tags[0];
    if (counter) {
      // Binary search for the first tag whose prefix is over the limit: the prefix through the
      // `low`-th tag is within it, through the `high`-th over it (the whole body is).
      let low = -1;
      let high = caption.tags.length - 1;
      while (high - low > 1) {
        const middle = (low + high) >> 1;
        if (counter(caption.text.slice(0, caption.tags[middle].end)) > clipTokenLimit) high = middle;
        else low = middle;
      }
      overflow = caption.tags[high];
    } else {
      let running = 0;
      for (const tag of caption.tags) {
        overflow = tag;
        running += estimateClipTokens(tag.raw) + (tag.index > 0 ? 1 : 0);
        if (running > clipTokenLimit) break;
      }
    }
    const amount = counter ? `${total} CLIP tokens` : `about ${total} CLIP tokens (estimated)`;
    context.report({
      range: rangeOf(caption, overflow.start, last.end),
      message: `This caption is ${amount}, over the ${clipTokenLimit} of one CLIP chunk: from ${'`'}${overflow.raw}${'`'} on, tags go to a second chunk, encoded on its own and joined (nothing is cut). Drop tags that do not describe the picture if they should be read with the rest.`,
      data: { tokens: total, estimated: !counter },
    });
  },
};
