/** channels_redis test_core.py 26 (test_receive_buffer_respects_capacity). */
import { expect, test } from '@jest/globals';
import { pushBounded } from '../../src/channel-state.js';

test('26 test_receive_buffer_respects_capacity (bounded at capacity, but what does not fit is handed back instead of dropping the oldest)', () => {
  const buffer: number[] = [];
  const overflow: number[] = [];
  for (let i = 0; i < 10_000; i++) overflow.push(...pushBounded(buffer, [i], 100));
  expect(buffer.length).toBe(100);
  // channels_redis keeps 9900…9999 and silently drops the rest; here the oldest stay (FIFO) and
  // the caller gets the others back (the layer puts them back into Redis, or counts them).
  expect(buffer).toEqual(Array.from({ length: 100 }, (_, i) => i));
  expect(overflow).toEqual(Array.from({ length: 9_900 }, (_, i) => i + 100));
  expect(pushBounded(buffer, [1, 2], 101)).toEqual([2]);
});
