import type { Publication } from '@redpool/realtime';
import type { Socket } from 'socket.io';

/** A message on its way to this instance's subscribers. */
export interface Delivery {
  pub: Publication;
  /** Approximate bytes it adds to a connection's outbound buffer. */
  bytes: number;
  /** Writes the packet the adapter already encoded (live messages); absent for history messages. */
  write?: (socket: Socket) => void;
}
