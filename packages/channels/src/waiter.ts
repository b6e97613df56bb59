import type { Waiter } from './channel-state.js';
import { ChannelReceiveAbortedError, ChannelReceiveTimeoutError } from './errors.js';
import type { ChannelMessage } from './message-codec.js';

/** Options of one `receive()` call. */
export interface ReceiveOptions {
  /** Reject with `ChannelReceiveTimeoutError` when nothing arrives within this many ms. @defaultValue no limit */
  timeoutMs?: number;
  /** Abort the receive (it rejects with `ChannelReceiveAbortedError`); no message is lost. */
  signal?: AbortSignal;
}

/**
 * A pending receive: `add` registers the waiter, `remove` takes it back when the timeout or the
 * signal fires first (false if it was served meanwhile, in which case nothing happens).
 */
export function waitForMessage(
  channel: string,
  options: ReceiveOptions,
  add: (waiter: Waiter) => void,
  remove: (waiter: Waiter) => boolean,
): Promise<ChannelMessage> {
  return new Promise<ChannelMessage>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const signal = options.signal;
    const onAbort = () => {
      if (remove(waiter)) reject(new ChannelReceiveAbortedError(channel, signal?.reason));
    };
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const waiter: Waiter = {
      resolve: (message) => {
        done();
        resolve(message);
      },
      reject: (error) => {
        done();
        reject(error);
      },
    };
    add(waiter);
    if (options.timeoutMs !== undefined) {
      const ms = options.timeoutMs;
      timer = setTimeout(() => {
        if (remove(waiter)) reject(new ChannelReceiveTimeoutError(channel, ms));
      }, ms);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
