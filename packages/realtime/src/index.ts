export {
  CAPACITY_RANGE,
  type ChannelRule,
  ChannelRules,
  DEFAULT_CHANNEL_FALLBACK_SPEC,
  DEFAULT_CHANNEL_RULES_SPEC,
  TTL_RANGE_MS,
} from './channel-rules.js';
export { formatDuration, parseDuration } from './duration.js';
export {
  InvalidChannelError,
  InvalidOptionError,
  InvalidPayloadError,
  PayloadTooLargeError,
  RealtimeError,
  type RealtimeErrorCode,
  UnexpectedReplyError,
} from './errors.js';
export { detectFanoutMode, redisMajorVersion } from './fanout-mode.js';
export { buildFanoutFrame, FANOUT_UID, type FanoutFrame, type FanoutMode, MESSAGE_EVENT } from './frames.js';
export { globToRegExp, matchesGlob } from './glob.js';
export { StreamKeys } from './keys.js';
export { assertChannel, isValidChannel, MAX_CHANNEL_LENGTH } from './names.js';
export {
  DEFAULT_PUBLISHER_OPTIONS,
  MAX_META_TTL_MS,
  type PublisherOptions,
  type ResolvedPublisherOptions,
} from './options.js';
export { encodePayload } from './payload.js';
export {
  createPublisher,
  type HistoryResult,
  type HistoryStatus,
  type Publication,
  Publisher,
  type PublishResult,
  type RecoverFrom,
} from './publisher.js';
export {
  checkRealtimeSettings,
  DEFAULT_REALTIME_SETTINGS,
  REALTIME_VARIABLES,
  type RealtimeSettings,
  settingsChannelRules,
  settingsPublisherOptions,
} from './settings.js';
