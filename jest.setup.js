// Fails the test file when any promise rejection goes unhandled during it.
import { afterAll } from '@jest/globals';

const unhandled = [];
const onUnhandled = (reason) => {
  unhandled.push(reason);
};
process.on('unhandledRejection', onUnhandled);

afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  if (unhandled.length > 0) {
    const first = unhandled[0];
    const detail = first instanceof Error ? (first.stack ?? first.message) : String(first);
    throw new Error(`${unhandled.length} unhandled promise rejection(s) during this file; first:\n${detail}`);
  }
});
