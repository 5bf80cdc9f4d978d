import type { LintRule } from '../rule';
import { clipTokenLimit, estimateClipTokens } from '../tokenEstimate';
import { rangeOf } from '../../dataset/caption';

export const captionLengthRule: LintRule = {
  id: 'caption-length',
  defaultSeverity: 'warning',
  summary: 'A caption longer than the 75 tokens of one CLIP chunk.',
  doc:
    'Counts the CLIP tokens of each caption. CLIP reads 75 tokens at a time; AUTOMATIC1111 encodes longer prompts as several chunks that do not see each other, and the training prompt template adds its own words (`[name]`) on top of the caption. Keep captions within 75 tokens: drop meta, duplicate and fixed-trait tags first. Until the real CLIP tokenizer is available to the linter, the count is an estimate (each punctuation mark one token, each run of letters one token per 6 letters, each number one) and the message says so; the range starts at the first tag past the limit.',
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
      for (const tag of caption.tags) {
        overflow = tag;
        if (counter(caption.text.slice(0, tag.end)) > clipTokenLimit) break;
      }
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
      message: `This caption is ${amount}, over the ${clipTokenLimit} of one CLIP chunk: from ${'`'}${overflow.raw}${'`'} on, tags spill into a second chunk encoded separately. Drop tags that do not describe the picture.`,
      data: { tokens: total, estimated: !counter },
    });
  },
};
