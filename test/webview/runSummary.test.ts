import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nonFiniteNote } from '../../webview/monitor/runSummary';

test('the note under the chart names the non-finite steps, few in full, many shortened', () => {
  assert.equal(nonFiniteNote([]), '');
  assert.match(nonFiniteNote([1500]), /^Loss not finite at step 1,500: that step was skipped and drawn as a gap\. Lower the learning rate/);
  assert.match(nonFiniteNote([3, 9]), /^Loss not finite at 2 steps \(3, 9\): those steps were skipped/);
  assert.match(nonFiniteNote([1, 2, 3, 4, 5, 6, 7000]), /^Loss not finite at 7 steps \(1, 2, 3 … 7,000\):/);
});
