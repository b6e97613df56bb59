/**
 * @redpool/testkit: real redis-server processes, clusters, sentinels and fault injection for tests.
 * Always pair with `afterAll(stopAll)`.
 */

export { settle, sleep, waitUntil, withDeadline } from './async-helpers.js';
export { findOnPath } from './binaries.js';
export { type BlackholeProxy, startBlackholeProxy } from './blackhole-proxy.js';
export { stopAll } from './cleanup.js';
export { type RedisCluster, type StartClusterOptions, startCluster } from './cluster.js';
export type { ClusterNode, ClusterRole } from './cluster-node.js';
export {
  ClusterError,
  DisposedError,
  NoNetworkAddressError,
  NotRunningError,
  OpensslNotInstalledError,
  RedisNotInstalledError,
  RedisStartError,
  SentinelError,
  TestkitError,
  type TestkitErrorCode,
  TestkitTimeoutError,
  TlsSetupError,
} from './errors.js';
export { type ChatMessage, chatValue } from './fixtures.js';
export { type HttpAnswer, httpFrom, nonLoopbackAddress } from './network.js';
export { getFreePort, getFreePorts } from './ports.js';
export type { ConfigValue, RedisUser } from './redis-config.js';
export { type RedisServer, type StartRedisOptions, startRedis } from './redis-server.js';
export type { RespValue } from './resp.js';
export { RespReplyError } from './resp.js';
export { type RedisSentinel, type StartSentinelOptions, startSentinel } from './sentinel.js';
export type { TlsMaterial } from './tls.js';
export type { HostPort } from './types.js';
