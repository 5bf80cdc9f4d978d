import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTaggerCommand, parseTaggerEvent, TaggerProtocolError } from '../../src/protocol/taggerMessages';

test('tagger commands are validated field by field', () => {
  const tag = { type: 'tag', requestId: 'r1', modelPath: 'm.onnx', tagsPath: 't.csv', provider: 'cpu', images: ['a.png'], selection: { generalThreshold: 0.4, exclude: ['x'] } };
  assert.deepEqual(parseTaggerCommand(tag), tag);
  assert.throws(() => parseTaggerCommand({ ...tag, images: 'a.png' }), /field 'images' should be strings/);
  assert.throws(() => parseTaggerCommand({ ...tag, selection: { generalThreshold: 1.5 } }), /generalThreshold must be between 0 and 1/);
  assert.throws(() => parseTaggerCommand({ ...tag, selection: { threshold: 0.5 } }), /unknown selection option 'threshold'/);
  assert.throws(() => parseTaggerCommand({ type: 'explode' }), TaggerProtocolError);
  assert.throws(() => parseTaggerCommand(null), /expected an object, got null/);
});

test('tagger events are validated, including scored tags', () => {
  const event = { type: 'imageTagged', requestId: 'r1', image: 'a.png', tags: ['x'], rating: { name: 'general', score: 0.9 }, general: [{ name: 'x', score: 0.5 }], character: [], done: 1, total: 2 };
  assert.deepEqual(parseTaggerEvent(event), event);
  assert.throws(() => parseTaggerEvent({ ...event, general: [{ name: 'x', score: 'high' }] }), /field 'general' should be scoredTags/);
  assert.deepEqual(parseTaggerEvent({ type: 'modelLoaded', requestId: 'r', provider: 'cpu', providerNotes: [], inputName: 'input', size: 448, fixedBatch: null, tagCount: 3 }).type, 'modelLoaded');
  assert.throws(() => parseTaggerEvent({ type: 'finished', requestId: 'r', tagged: 1, failed: 0, cancelled: 'no', outputKind: 'probabilities' }), /cancelled/);
});
