// package.json's `embeddingStudio.lint.rules` schema must list exactly the engine's rules with
// their default severities: this fails when a rule is added or changed without regenerating
// (node --import tsx scripts/generateRuleSettings.ts).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allRules } from '../../src/lint/rules';
import { ruleSettingKey, ruleSettingsProperties } from '../../src/extension/ruleSettingsSchema';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));

it('package.json lists every lint rule with its default severity (regenerate with scripts/generateRuleSettings.ts)', () => {
  const schema = manifest.contributes.configuration.properties[ruleSettingKey];
  assert.deepEqual(schema.properties, ruleSettingsProperties(allRules));
  assert.deepEqual(Object.keys(schema.properties).sort(), allRules.map((r) => r.id).sort());
  assert.equal(schema.additionalProperties, false);
});

it('each rule property accepts the four severities and off', () => {
  const properties = ruleSettingsProperties([{ id: 'x-rule', defaultSeverity: 'hint', summary: 'X.' }]);
  assert.deepEqual(properties['x-rule'].enum, ['error', 'warning', 'information', 'hint', 'off']);
  assert.equal(properties['x-rule'].default, 'hint');
});

it('every command the extension registers is contributed with the Embedding Studio category', async () => {
  // The command table imports `vscode`; read its ids from the source instead of loading it.
  const source = readFileSync(join(__dirname, '../../src/extension/commandTable.ts'), 'utf8');
  const ids = [...source.matchAll(/id: '(embeddingStudio\.[A-Za-z]+)'/g)].map((m) => m[1]);
  ids.push('embeddingStudio.showRuleDoc');
  const contributed = new Map<string, { category?: string }>(manifest.contributes.commands.map((c: { command: string; category?: string }) => [c.command, c]));
  for (const id of ids) {
    assert.ok(contributed.has(id), `${id} is registered but not in package.json contributes.commands`);
    assert.equal(contributed.get(id)!.category, 'Embedding Studio');
  }
});
