// What the empty preview gallery says, from the run's own configuration.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyGalleryText } from '../../webview/monitor/previewGallery';

const started = (config: Record<string, unknown>) => ({ started: { type: 'started' as const, runDir: '/r', embeddingName: 'e', vectors: 8, startStep: 0, maxSteps: 100, provider: 'cpu', providerNotes: [], config } });

test('the empty gallery names the run’s preview interval, or says the run renders none', () => {
  assert.equal(emptyGalleryText(started({ previewEvery: 500 })), 'No previews yet: the trainer renders one every 500 steps.');
  assert.equal(emptyGalleryText(started({ previewEvery: 2000 })), 'No previews yet: the trainer renders one every 2,000 steps.');
  assert.match(emptyGalleryText(started({ previewEvery: 0 })), /^This run renders no previews \("Preview every" is 0 steps\)/);
  assert.equal(emptyGalleryText({ started: null }), 'No previews yet: the trainer renders one every few hundred steps.');
});
