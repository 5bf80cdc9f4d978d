import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { applyCaptionEdits, captionDiff, captionFileFor, planCaptionEdits } from '../../src/dataset/captionWriting';
import { scratchFolder } from '../support/scratchFolder';

function dataset(): string {
  const dir = scratchFolder('es-captions-');
  writeFileSync(join(dir, 'a.txt'), 'mychar, Long_Hair,  smile\n');
  writeFileSync(join(dir, 'c.txt'), Buffer.from([0xff, 0xfe, 0x61, 0x00]));
  return dir;
}

const results = (dir: string) => [
  { image: join(dir, 'a.png'), tags: ['long hair', 'blue eyes', 'smile', 'hatsune miku \\(vocaloid\\)'] },
  { image: join(dir, 'b.jpg'), tags: ['1girl', 'solo'] },
  { image: join(dir, 'c.png'), tags: ['solo'] },
];

test("'new' writes captions for uncaptioned images and keeps existing ones", async () => {
  const dir = dataset();
  const plan = await planCaptionEdits(results(dir), { mode: 'new' });
  assert.deepEqual(plan.edits, [{ image: join(dir, 'b.jpg'), file: join(dir, 'b.txt'), oldText: null, newText: '1girl, solo', addedTags: ['1girl', 'solo'] }]);
  assert.equal(plan.unchanged.length, 2);
  assert.match(plan.unchanged[0].reason, /a.txt exists \(kept/);
  assert.match(plan.unchanged[1].reason, /UTF-16.*left unchanged/);
  const replaced = await planCaptionEdits(results(dir), { mode: 'new', replaceExisting: true });
  assert.equal(replaced.edits[0].newText, 'long hair, blue eyes, smile, hatsune miku \\(vocaloid\\)');
  assert.equal(replaced.edits[0].oldText, 'mychar, Long_Hair,  smile\n');
});

test("'append' adds only missing tags after the user's text, which stays byte for byte", async () => {
  const dir = dataset();
  const plan = await planCaptionEdits(results(dir), { mode: 'append' });
  assert.equal(plan.edits[0].newText, 'mychar, Long_Hair,  smile, blue eyes, hatsune miku \\(vocaloid\\)\n');
  assert.deepEqual(plan.edits[0].addedTags, ['blue eyes', 'hatsune miku \\(vocaloid\\)']);
  assert.equal(plan.edits[1].newText, '1girl, solo');
  assert.equal(
    captionDiff(plan.edits),
    [`--- ${join(dir, 'a.txt')}`, `+++ ${join(dir, 'a.txt')}`, '-mychar, Long_Hair,  smile', '+mychar, Long_Hair,  smile, blue eyes, hatsune miku \\(vocaloid\\)', '--- /dev/null', `+++ ${join(dir, 'b.txt')}`, '+1girl, solo', ''].join('\n'),
  );
  const report = await applyCaptionEdits(plan.edits);
  assert.deepEqual(report, { written: [join(dir, 'a.txt'), join(dir, 'b.txt')], conflicts: [] });
  const bytes = readFileSync(join(dir, 'b.txt'));
  assert.deepEqual([...bytes.subarray(0, 3)], [0x31, 0x67, 0x69], 'UTF-8 without BOM');
  const again = await planCaptionEdits(results(dir), { mode: 'append' });
  assert.deepEqual(again.edits, [], 'idempotent');
});

test('an edit whose file changed since planning is not applied', async () => {
  const dir = dataset();
  const plan = await planCaptionEdits(results(dir), { mode: 'append' });
  writeFileSync(join(dir, 'a.txt'), 'edited meanwhile');
  writeFileSync(join(dir, 'b.txt'), 'created meanwhile');
  const report = await applyCaptionEdits(plan.edits);
  assert.deepEqual(report.written, []);
  assert.deepEqual(report.conflicts, [join(dir, 'a.txt'), join(dir, 'b.txt')]);
  assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'edited meanwhile');
});

test('the .caption extension (kohya) is honoured', async () => {
  const dir = dataset();
  assert.equal(captionFileFor('/d/x.y.png', '.caption'), '/d/x.y.caption');
  const plan = await planCaptionEdits(results(dir), { mode: 'new', extension: '.caption' });
  await applyCaptionEdits(plan.edits);
  assert.equal(readFileSync(join(dir, 'a.caption'), 'utf8'), 'long hair, blue eyes, smile, hatsune miku \\(vocaloid\\)');
  assert.ok(existsSync(join(dir, 'c.caption')));
});
