import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InertObject, PickleGlobal, PickleTuple, readPickle, type PickleInterpretation } from '../../src/sd/pickleReader';
import { runBounded, timeLimits } from '../support/timeLimits';

// Pickles written by Python's own pickle module (the independent writer), one per protocol.
const python = '/usr/bin/python3';
const hasPython = spawnSync(python, ['-c', 'import pickle'], { stdio: 'ignore', timeout: timeLimits.command }).status === 0;
const scratch = mkdtempSync(join(tmpdir(), 'pickle-reader-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));
const marker = join(scratch, 'pwned');

const pythonPickles = `
import pickle, os, sys, json, argparse
class Evil:
    def __reduce__(self):
        return (os.system, ('touch ' + sys.argv[1],))
data = {'text': 'héllo ✓', 'n': [0, 255, 256, 65535, 65536, -1, -2**31, 2**31, 2**40, -2**40],
        'f': 0.1, 'flags': (True, False, None), 'nested': [(1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)], 'long': 'x' * 300}
data['shared'] = data['nested']
out = {}
for protocol in (2, 3, 4, 5):
    out[f'data{protocol}'] = pickle.dumps(data, protocol=protocol).hex()
# before protocol 4, sets are builtins.set calls (and bytes a codecs call at protocol 2)
out['opcodes4'] = pickle.dumps({'raw': b'\\x00\\x01', 'set': {7}, 'frozen': frozenset([8])}, protocol=4).hex()
out['evil'] = pickle.dumps({'callbacks': Evil(), 'ok': 1}, protocol=2).hex()
out['evil4'] = pickle.dumps(Evil(), protocol=4).hex()
out['namespace'] = pickle.dumps({'hparams': argparse.Namespace(lr=0.5)}, protocol=2).hex()
print(json.dumps(out))
`;

function pickles(): Record<string, Buffer> {
  const run = runBounded(python, ['-c', pythonPickles, marker], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return Object.fromEntries(Object.entries(JSON.parse(run.stdout) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'hex')]));
}

const plainData: PickleInterpretation = {
  calls: new Map(),
  otherCalls: 'refuse',
  persistentLoad: () => {
    throw new Error('no persistent ids here');
  },
};

/** Turns the reader's values into plain JS for comparison: Maps → objects, tuples → {tuple: [...]}. */
function plain(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  if (value instanceof PickleTuple) return { tuple: value.items.map(plain) };
  if (Array.isArray(value)) return value.map(plain);
  if (Buffer.isBuffer(value)) return { bytes: [...value] };
  return value;
}

test('reads what Python pickles at protocols 2 to 5: strings, ints of every width, floats, tuples, sets, bytes, memo', { skip: !hasPython && 'python3 is not installed' }, () => {
  const all = pickles();
  const nested = [{ tuple: [1] }, { tuple: [1, 2] }, { tuple: [1, 2, 3] }, { tuple: [1, 2, 3, 4] }];
  const expected = {
    text: 'héllo ✓',
    n: [0, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31, 2 ** 40, -(2 ** 40)],
    f: 0.1,
    flags: { tuple: [true, false, null] },
    nested,
    long: 'x'.repeat(300),
    shared: nested,
  };
  for (const protocol of [2, 3, 4, 5]) {
    const value = readPickle(all[`data${protocol}`], `data${protocol}.pkl`, plainData) as Map<string, unknown>;
    assert.deepEqual(plain(value), expected, `protocol ${protocol}`);
    assert.equal(value.get('shared'), value.get('nested'), 'the memo gives back the same list');
  }
  assert.deepEqual(plain(readPickle(all.opcodes4, 'opcodes4.pkl', plainData)), { raw: { bytes: [0, 1] }, set: [7], frozen: [8] });
});

test('an os.system pickle made by Python is refused with the file and the global named, and runs nothing', { skip: !hasPython && 'python3 is not installed' }, () => {
  const all = pickles();
  for (const name of ['evil', 'evil4']) {
    assert.throws(() => readPickle(all[name], `${name}.pt`, plainData), new RegExp(`^Error: ${name}\\.pt: refused to load — the file calls posix\\.system\\. .*convert the file to \\.safetensors`));
  }
  assert.equal(existsSync(marker), false, 'nothing was executed');
});

test('kept inert, the same pickle is data: a record of the global and its arguments, never called', { skip: !hasPython && 'python3 is not installed' }, () => {
  const all = pickles();
  const inert: PickleInterpretation = { ...plainData, otherCalls: 'inert' };
  const root = readPickle(all.evil, 'evil.ckpt', inert) as Map<string, unknown>;
  const callback = root.get('callbacks');
  assert.ok(callback instanceof InertObject);
  assert.equal(callback.global.path, 'posix.system');
  assert.deepEqual(plain(callback.args), { tuple: [`touch ${marker}`] });
  assert.equal(root.get('ok'), 1);
  // NEWOBJ + BUILD (argparse.Namespace): the state is recorded, no __setstate__ runs
  const hparams = (readPickle(all.namespace, 'hp.ckpt', inert) as Map<string, unknown>).get('hparams');
  assert.ok(hparams instanceof InertObject);
  assert.equal(hparams.global.path, 'argparse.Namespace');
  assert.deepEqual(plain(hparams.state), { lr: 0.5 });
  assert.equal(existsSync(marker), false, 'nothing was executed');
});

// ---- hand-written pickles for what Python does not write on its own -------------------------
const op = (...bytes: number[]): Buffer => Buffer.from(bytes);
const str = (s: string): Buffer => Buffer.concat([op(0x8c, Buffer.byteLength(s)), Buffer.from(s)]); // SHORT_BINUNICODE

test('a call of one of our functions gets the arguments; refusals and damage name the file and the place', () => {
  const seen: unknown[][] = [];
  const calls = new Map([['torch.thing', (args: unknown[], global: PickleGlobal) => (seen.push(args), `made by ${global.path}`)]]);
  const call = Buffer.concat([op(0x80, 2), Buffer.from('ctorch\nthing\n'), op(0x4b, 7), str('a'), op(0x86, 0x52, 0x2e)]);
  assert.equal(readPickle(call, 'ok.pkl', { ...plainData, calls }), 'made by torch.thing');
  assert.deepEqual(seen, [[7, 'a']]);
  assert.throws(() => readPickle(Buffer.concat([op(0x80, 2), Buffer.from('cbuiltins\neval\n'), op(0x29, 0x81, 0x2e)]), 'new.pkl', plainData), /new\.pkl: refused to load — the file creates builtins\.eval/);
  assert.throws(() => readPickle(op(0x80, 2, 0x49, 0x2e), 'int.pkl', plainData), /int\.pkl: pickle opcode 0x49 at byte 2 is not supported by the safe reader/);
  assert.throws(() => readPickle(Buffer.concat([op(0x80, 2), op(0x58, 10, 0, 0, 0), Buffer.from('abc')]), 'cut.pkl', plainData), /cut\.pkl: the pickle is truncated/);
  assert.throws(() => readPickle(op(0x80, 2, 0x4b, 1), 'nostop.pkl', plainData), /nostop\.pkl: the pickle is truncated/);
  assert.throws(() => readPickle(op(0x80, 2, 0x4b, 1, 0x4b, 2, 0x2e), 'two.pkl', plainData), /two\.pkl: damaged pickle \(the stack does not hold one value at STOP\)/);
  assert.throws(() => readPickle(op(0x80, 2, 0x68, 3, 0x2e), 'memo.pkl', plainData), /memo\.pkl: damaged pickle \(memo 3 is read before it is written\)/);
  assert.throws(() => readPickle(op(0x80, 2, 0x4b, 1, 0x4b, 2, 0x73, 0x2e), 'set.pkl', plainData), /set\.pkl: damaged pickle/);
});
