import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LossLog, lossLogHeader } from '../../src/train/lossLog';
import { parseLossLog } from '../../src/protocol/runFolderReplay';

test("writes A1111's header and epoch arithmetic, with the csv module's CR LF and Python's repr of the rate", () => {
  const path = join(mkdtempSync(join(tmpdir(), 'csv-')), 'textual_inversion_loss.csv');
  const log = new LossLog(path, 4);
  log.append([
    { step: 1, loss: 0.1234567891, learnRate: 0.005 },
    { step: 4, loss: 0.2, learnRate: 0.005 },
    { step: 5, loss: 0.3, learnRate: 0.0001 },
  ]);
  assert.equal(lossLogHeader, 'step,epoch,epoch_step,loss,learn_rate');
  assert.equal(readFileSync(path, 'utf8'), 'step,epoch,epoch_step,loss,learn_rate\r\n1,0,0,0.1234568,0.005\r\n4,0,3,0.2000000,0.005\r\n5,1,0,0.3000000,0.0001\r\n');
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

test('a non-finite loss is written as Python writes f"{loss:.7f}" (nan, inf, -inf) and read back as not finite', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'csv-')), 'textual_inversion_loss.csv');
  const log = new LossLog(path, 2);
  log.append([
    { step: 1, loss: 0.25, learnRate: 0.05 },
    { step: 2, loss: Number.NaN, learnRate: 0.05 },
    { step: 3, loss: Number.POSITIVE_INFINITY, learnRate: 0.05 },
    { step: 4, loss: Number.NEGATIVE_INFINITY, learnRate: 0.05 },
  ]);
  // What `python3 -c 'print(f"{float("nan"):.7f}")'` and csv.DictWriter write, typed in by hand.
  assert.equal(readFileSync(path, 'utf8'), 'step,epoch,epoch_step,loss,learn_rate\r\n1,0,0,0.2500000,0.05\r\n2,0,1,nan,0.05\r\n3,1,0,inf,0.05\r\n4,1,1,-inf,0.05\r\n');
  const rows = parseLossLog(readFileSync(path, 'utf8'), path);
  assert.deepEqual(
    rows.map((r) => [r.step, Number.isFinite(r.loss) ? r.loss : 'not finite', r.learnRate]),
    [
      [1, 0.25, 0.05],
      [2, 'not finite', 0.05],
      [3, 'not finite', 0.05],
      [4, 'not finite', 0.05],
    ],
  );
  // Reopening keeps the rows (resume truncates by step, which must still parse on a nan row).
  const reopened = new LossLog(path, 2);
  reopened.truncateAfter(2);
  reopened.flush();
  assert.equal(readFileSync(path, 'utf8'), 'step,epoch,epoch_step,loss,learn_rate\r\n1,0,0,0.2500000,0.05\r\n2,0,1,nan,0.05\r\n');
});

test('learn_rate as Python writes a float (1e-05, 1.0); a log with LF endings is still read and appended to', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csv-'));
  const path = join(dir, 'textual_inversion_loss.csv');
  writeFileSync(path, 'step,epoch,epoch_step,loss,learn_rate\n1,0,0,0.5000000,0.005\n');
  const log = new LossLog(path, 10);
  log.append([
    { step: 2, loss: 0.5, learnRate: 0.00001 },
    { step: 3, loss: 0.5, learnRate: 1 },
    { step: 4, loss: 0.5, learnRate: 2.5e-7 },
  ]);
  // typed from python3: str(1e-05) == '1e-05', str(1.0) == '1.0', str(2.5e-07) == '2.5e-07'
  assert.equal(readFileSync(path, 'utf8'), 'step,epoch,epoch_step,loss,learn_rate\r\n1,0,0,0.5000000,0.005\r\n2,0,1,0.5000000,1e-05\r\n3,0,2,0.5000000,1.0\r\n4,0,3,0.5000000,2.5e-07\r\n');
  assert.deepEqual(parseLossLog(readFileSync(path, 'utf8'), path).map((r) => r.learnRate), [0.005, 0.00001, 1, 2.5e-7]);
  rmSync(dir, { recursive: true, force: true });
});
