import assert from 'node:assert/strict';
import { test } from 'node:test';
import { minMaxDecimation } from '../../webview/monitor/minMaxDecimation';

test('short series pass through whole', () => {
  assert.deepEqual(minMaxDecimation([1, 2, 3], [0.3, 0.1, 0.2], 2), [
    { x: 1, y: 0.3 },
    { x: 2, y: 0.1 },
    { x: 3, y: 0.2 },
  ]);
});

test('long series keep each bucket’s low and high in step order, and both ends', () => {
  // 10 points, 2 buckets: the inner 8 points split 4 + 4.
  const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const ys = [0.5, 0.2, 0.9, 0.4, 0.3, 0.6, 0.1, 0.7, 0.8, 0.05];
  assert.deepEqual(minMaxDecimation(xs, ys, 2), [
    { x: 1, y: 0.5 },
    { x: 2, y: 0.2 }, // bucket 1 (steps 2-5): low 0.2 at step 2, high 0.9 at step 3
    { x: 3, y: 0.9 },
    { x: 7, y: 0.1 }, // bucket 2 (steps 6-9): low 0.1 at step 7, high 0.8 at step 9
    { x: 9, y: 0.8 },
    { x: 10, y: 0.05 },
  ]);
});

test('a bucket of only non-finite losses stays a gap; nulls from a saved state count as gaps', () => {
  const xs = [1, 2, 3, 4, 5, 6];
  const ys = [0.5, NaN, null as unknown as number, 0.2, 0.3, 0.4];
  const out = minMaxDecimation(xs, ys, 2);
  assert.deepEqual(out.slice(0, 2), [{ x: 1, y: 0.5 }, { x: 2, y: NaN }]);
  assert.deepEqual(out.slice(2), [{ x: 4, y: 0.2 }, { x: 5, y: 0.3 }, { x: 6, y: 0.4 }]);
});

test('a bucket holding a non-finite loss among finite ones keeps its low, its high and the gap, in step order', () => {
  // 10 points, 2 buckets (steps 2-5 and 6-9); step 4 is not finite.
  const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const ys = [0.5, 0.2, 0.9, NaN, 0.3, 0.6, 0.1, 0.7, 0.8, 0.05];
  assert.deepEqual(minMaxDecimation(xs, ys, 2), [
    { x: 1, y: 0.5 },
    { x: 2, y: 0.2 },
    { x: 3, y: 0.9 },
    { x: 4, y: NaN },
    { x: 7, y: 0.1 },
    { x: 9, y: 0.8 },
    { x: 10, y: 0.05 },
  ]);
  // Short series pass a null (a gap from a saved state) on as NaN, the one gap marker.
  assert.deepEqual(minMaxDecimation([1, 2], [0.1, null as unknown as number], 2), [{ x: 1, y: 0.1 }, { x: 2, y: NaN }]);
});
