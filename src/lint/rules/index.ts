// Every lint rule, in documentation order. Each lives in its own file named by its id.
import type { LintRule } from '../rule';
import { vagueTagRule } from './vague-tag';
import { duplicateTagRule } from './duplicate-tag';
import { formattingRule } from './formatting';
import { underscoreStyleRule } from './underscore-style';
import { unescapedParenthesesRule } from './unescaped-parentheses';
import { metaTagRule } from './meta-tag';
import { multiplePeopleRule } from './multiple-people';
import { complexBackgroundRule } from './complex-background';
import { outfitInconsistencyRule } from './outfit-inconsistency';
import { fixedTraitRule } from './fixed-trait';
import { rareTagRule } from './rare-tag';
import { missingCaptionRule } from './missing-caption';
import { orphanCaptionRule } from './orphan-caption';
import { imageSizeRule } from './image-size';
import { datasetSizeRule } from './dataset-size';
import { captionLengthRule } from './caption-length';
import { heterochromiaFlipRule } from './heterochromia-flip';
import { unreadableFileRule } from './unreadable-file';

export const allRules: readonly LintRule[] = [
  vagueTagRule,
  duplicateTagRule,
  formattingRule,
  underscoreStyleRule,
  unescapedParenthesesRule,
  metaTagRule,
  multiplePeopleRule,
  complexBackgroundRule,
  outfitInconsistencyRule,
  fixedTraitRule,
  rareTagRule,
  missingCaptionRule,
  orphanCaptionRule,
  imageSizeRule,
  datasetSizeRule,
  captionLengthRule,
  heterochromiaFlipRule,
  unreadableFileRule,
];

export function ruleById(id: string): LintRule | undefined {
  return allRules.find((rule) => rule.id === id);
}
