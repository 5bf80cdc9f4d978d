import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guidanceAction } from '../../webview/monitor/guidanceNotices';
import type { GuidanceEntry } from '../../webview/monitor/monitorModel';

const diverged = (extra: Partial<GuidanceEntry>): GuidanceEntry => ({ type: 'guidance', kind: 'diverged', step: 6, message: 'm', id: 0, dismissed: false, ...extra });

test('diverged: roll back at the suggested rate, or only lower the rate when nothing was saved', () => {
  const rollbackTo = { path: '/r/e-4.safetensors', step: 4, loss: 0.1234 };
  assert.deepEqual(guidanceAction(diverged({ rollbackTo, suggestedLearningRate: 0.0001 })), {
    label: 'Roll back to step 4 (loss 0.1234)',
    action: { type: 'rollback', embeddingPath: '/r/e-4.safetensors', schedule: '0.0001' },
    needsTrainer: true,
  });
  assert.deepEqual(guidanceAction(diverged({ rollbackTo }))?.action, { type: 'rollback', embeddingPath: '/r/e-4.safetensors' });
  assert.deepEqual(guidanceAction(diverged({ suggestedLearningRate: 0.005 })), {
    label: 'Lower the learning rate to 0.005',
    action: { type: 'setLearningRate', schedule: '0.005' },
    needsTrainer: true,
  });
  assert.equal(guidanceAction(diverged({})), null);
});
