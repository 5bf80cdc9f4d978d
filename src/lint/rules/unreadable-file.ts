import type { LintRule } from '../rule';

const start = { line: 0, character: 0 };
const range = { start, end: start };

export const unreadableFileRule: LintRule = {
  id: 'unreadable-file',
  defaultSeverity: 'error',
  summary: 'A caption, image, folder or settings file that could not be read.',
  doc:
    'Reports files the linter could not use, with the reason and the way out: a caption that is binary, UTF-16 or otherwise not UTF-8, or far too large to be a tag list (over 256 KB); an image that is damaged, cut short or not an image (the command line decodes every image as training does, so corrupt JPEG data is found too); a symbolic link that loops, names nothing, or leads out of the dataset folder (it is never read or edited through); a folder that cannot be listed; a dataset folder with more images and captions than the index holds; and `.embedding-studio/tag-advice.json` or `training.json` files that are not valid JSON. Training, preprocessing and tagging skip the same files with the same message. Nothing is changed or lost: the file is skipped until it is fixed.',
  targets: ['caption', 'image', 'dataset'],
  check(target, context) {
    if (target.kind === 'caption' || target.kind === 'image') {
      if (target.entry.problem) context.report({ range, message: target.entry.problem });
      return;
    }
    for (const problem of context.index.scanProblems) context.report({ range, message: problem.message, file: problem.path, severity: 'warning' });
    const { advice, training, adviceFile, trainingFile } = context.settings;
    if (advice.problem) context.report({ range, message: advice.problem, file: adviceFile });
    if (training.problem) context.report({ range, message: training.problem, file: trainingFile });
  },
};
