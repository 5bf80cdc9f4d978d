import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LossLog, lossLogHeader } from '../../src/train/lossLog';

test("writes A1111's header and epoch arithmetic", () => {
  const path = join(mkdtempSync(join(tmpdir(), 'csv-')), 'textual_inversion_loss.csv');
  const log = new LossLog(path, 4);
  log.append([
    { step: 1, loss: 0.1234567891, learnRate: 0.005 },
    { step: 4, loss: 0.2, learnRate: 0.005 },
    { step: 5, loss: 0.3, learnRate: 0.0001 },
  ]);
  assert.equal(lossLogHeader, 'step,epoch,epoch_step,loss,learn_rate');
  assert.equal(readFileSync(path, 'utf8'), 'step,epoch,epoch_step,loss,learn_rate\n1,0,0,0.1234568,0.005\n4,0,3,0.2000000,0.005\n5,1,0,0.3000000,0.0001\n');
  const reopened = new LossLog(path, 4);
  reopened.truncateAfter(4);
  reopened.append([{ step: 5, loss: 0.25, learnRate: 0.001 }]);
  assert.equal(readFileSync(path, 'utf8').trim().split('\n').slice(-1)[0], '5,1,0,0.2500000,0.001');
  assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 4);
});

test('refuses to append to a file that is not a loss log', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'csv-')), 'textual_inversion_loss.csv');
  writeFileSync(path, 'a,b\n1,2\n');
  assert.throws(() => new LossLog(path, 1), /not a textual-inversion loss log/);
});
