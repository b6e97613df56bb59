import { expect, test } from '@jest/globals';

test('smoke', () => {
  expect(1 + 1).toBe(2);
});
