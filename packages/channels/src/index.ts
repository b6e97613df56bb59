export type { ChannelCapacity } from './capacity.js';
export {
  CHANNEL_ERROR_CODES,
  ChannelDecodeError,
  ChannelDecryptError,
  ChannelError,
  type ChannelErrorCode,
  ChannelFullError,
  ChannelInvalidMessageError,
  ChannelInvalidNameError,
  ChannelLayerClosedError,
  ChannelNotLocalError,
  ChannelReceiveAbortedError,
  ChannelReceiveTimeoutError,
  ChannelReservedNameError,
  InvalidOptionError,
} from './errors.js';
export type { GroupSendResult } from './group-send.js';
export type { ChannelCounters, ChannelCountersSnapshot, DropReason } from './instruments.js';
export type { ChannelKeys } from './keys.js';
export { ChannelLayer, createChannelLayer } from './layer.js';
export type { ChannelMessage } from './message-codec.js';
export { registerChannelMetrics } from './metrics.js';
export { type ChannelLayerOptions, DEFAULT_CHANNEL_LAYER_OPTIONS } from './options.js';
export type {
  ChannelLayerCloseOptions,
  ChannelLayerEvents,
  ChannelLayerStats,
  ChannelLayerStatus,
  MessageDroppedEvent,
} from './status.js';
export type { ReceiveOptions } from './waiter.js';
