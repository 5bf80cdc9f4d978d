// docs/rules/*.md are generated from the rules' metadata; this test fails when they drift.
// Regenerate: UPDATE_RULE_DOCS=1 node --import tsx --test test/lint/ruleDocs.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generatedRuleDocs } from '../../src/lint/ruleDocsMarkdown';

const docsDir = join(__dirname, '../../docs/rules');

test('docs/rules matches the rules’ metadata', () => {
  const generated = generatedRuleDocs();
  if (process.env.UPDATE_RULE_DOCS) {
    mkdirSync(docsDir, { recursive: true });
    for (const [name, text] of generated) writeFileSync(join(docsDir, name), text);
  }
  assert.deepEqual(readdirSync(docsDir).filter((f) => f.endsWith('.md')).sort(), [...generated.keys()].sort());
  for (const [name, text] of generated) assert.equal(readFileSync(join(docsDir, name), 'utf8'), text, `docs/rules/${name} is out of date`);
});
