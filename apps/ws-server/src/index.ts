export {
  type Authorizer,
  type ChannelAction,
  type ChatMembership,
  createDefaultAuthorizer,
  defaultChatMembership,
  type User,
} from './auth/authorization.js';
export {
  MAX_TOKEN_LENGTH,
  signToken,
  type TokenClaims,
  TokenVerifier,
  type VerifiedToken,
  type VerifyOptions,
} from './auth/jwt.js';
export { JWT_ALGORITHMS, type TokenKey, tokenKeyOf } from './auth/token-key.js';
export {
  DEFAULT_WS_CONFIG,
  DEV_JWT_SECRET,
  resolveConfig,
  validateConfig,
  type WsConfig,
} from './config/config.js';
export { CONFIG_VARIABLES, type ConfigVariable } from './config/config-variables.js';
export { loadConfig } from './config/load-config.js';
export { type ConnectionCounts, ConnectionTracker } from './connections/connection-tracker.js';
export type { DrainOutcome, DrainSettings } from './connections/drain.js';
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
} from './connections/protocol.js';
export {
  ClientError,
  type ErrorBody,
  InvalidConfigError,
  WS_ERROR_CODES,
  WsError,
  type WsErrorCode,
} from './errors.js';
export {
  createWsServer,
  type DrainStatus,
  WsServer,
  type WsServerEvents,
  type WsServerOptions,
  type WsServerStatus,
  type WsStats,
} from './server.js';
