import type { Pool } from '@redpool/pool';
import { detectFanoutMode, type FanoutMode, type StreamKeys } from '@redpool/realtime';
import type { Logger } from 'pino';

/**
 * The fan-out mode this instance uses. `auto` joins the mode other instances announced (else picks
 * by Redis version); the mode is (re-)announced so publishers with `fanout: 'auto'` use the same one.
 */
export async function negotiateFanoutMode(
  pool: Pool,
  keys: StreamKeys,
  configured: 'auto' | FanoutMode,
  log: Logger,
): Promise<FanoutMode> {
  const announced = await pool.get(keys.fanoutMode());
  const known = announced === 'classic' || announced === 'sharded' ? announced : undefined;
  const mode = configured !== 'auto' ? configured : (known ?? (await detectFanoutMode(pool)));
  if (known && known !== mode)
    log.warn(
      { announced: known, configured: mode },
      'REALTIME_FANOUT differs from what other instances announced; instances and publishers must agree',
    );
  await pool.set(keys.fanoutMode(), mode);
  return mode;
}
