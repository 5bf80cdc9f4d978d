import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonFloatRepr, pythonJsonFloat } from '../../src/train/pythonFloat';

// Expected text from Python itself: test/train/data/pythonFloatRepr.json, written by
// scripts/reference/python_float_repr.py (repr and json.dumps of each double).
const cases = JSON.parse(readFileSync(join(__dirname, 'data/pythonFloatRepr.json'), 'utf8')) as [string, string, string][];

test("Python's float repr and json.dumps, on doubles written by Python", () => {
  assert.ok(cases.length > 60);
  for (const [hex, repr, json] of cases) {
    const value = Buffer.from(hex, 'hex').readDoubleBE(0);
    assert.equal(pythonFloatRepr(value), repr, hex);
    assert.equal(pythonJsonFloat(value), json, hex);
  }
});
