export {
  type Authorizer,
  type ChannelAction,
  type ChatMembership,
  createDefaultAuthorizer,
  defaultChatMembership,
  type User,
} from './authorization.js';
export {
  CONFIG_VARIABLES,
  type ConfigVariable,
  DEFAULT_WS_CONFIG,
  DEV_JWT_SECRET,
  loadConfig,
  resolveConfig,
  validateConfig,
  type WsConfig,
} from './config.js';
export { type ConnectionCounts, ConnectionTracker } from './connection-tracker.js';
export type { DrainOutcome, DrainSettings } from './drain.js';
export {
  ClientError,
  type ErrorBody,
  InvalidConfigError,
  WS_ERROR_CODES,
  WsError,
  type WsErrorCode,
} from './errors.js';
export {
  MAX_TOKEN_LENGTH,
  signToken,
  type TokenClaims,
  TokenVerifier,
  type VerifiedToken,
  type VerifyOptions,
} from './jwt.js';
export {
  type ClosingEvent,
  type ErrorAck,
  EVENTS,
  type PublishAck,
  type PublishRequest,
  type RejectedEvent,
  type ResetEvent,
  type SubscribeAck,
  type SubscribeRequest,
} from './protocol.js';
export {
  createWsServer,
  type DrainStatus,
  WsServer,
  type WsServerEvents,
  type WsServerOptions,
  type WsServerStatus,
  type WsStats,
} from './server.js';
export { JWT_ALGORITHMS, type TokenKey, tokenKeyOf } from './token-key.js';
