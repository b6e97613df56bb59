import type { Worker } from 'node:cluster';
import type { ToSupervisor } from './supervisor-messages.js';

/**
 * Resolves when `worker` reports ready (Redis connected, adapter subscribed); rejects when it
 * exits first or is not ready within `timeoutMs`.
 */
export function whenWorkerReady(worker: Worker, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`worker ${worker.id} not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: ToSupervisor) => {
      if (message?.type !== 'redpool:ready') return;
      cleanup();
      resolve();
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`worker ${worker.id} exited before it was ready (code ${code}, signal ${signal})`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}
