// Rewrites the per-rule properties of `embeddingStudio.lint.rules` in package.json from the lint
// rules' metadata. Run after adding or changing a rule: node --import tsx scripts/generateRuleSettings.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allRules } from '../src/lint/rules';
import { ruleSettingKey, ruleSettingsProperties } from '../src/extension/ruleSettingsSchema';

const path = join(__dirname, '..', 'package.json');
// Re-read right before writing: other tools edit package.json too; only this one property changes.
const manifest = JSON.parse(readFileSync(path, 'utf8'));
manifest.contributes.configuration.properties[ruleSettingKey].properties = ruleSettingsProperties(allRules);
writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`${ruleSettingKey}: ${allRules.length} rules written to package.json`);
