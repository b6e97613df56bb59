export { closestName, findUnknownOption } from './closest-name.js';
export { CodedError, type DescribeValueOptions, describeValue } from './coded-error.js';
export { type InvalidValueErrorClass, invalidOptionMessage, invalidValueMessage } from './invalid-value.js';
export { LOG_LEVEL_VARIABLE, LOG_LEVELS, type LogLevel } from './log-levels.js';
export { boolean, integer, oneOf, type Parser, pattern, redisUrl } from './parsers.js';
export { type Environment, type ReadEnvironmentOptions, readEnvironment } from './read-environment.js';
export {
  cacheRedisTarget,
  checkRedisConnection,
  coreRedisTarget,
  DEFAULT_REDIS_CONNECTION_SETTINGS,
  REDIS_CONNECTION_VARIABLES,
  type RedisConnectionSettings,
  type RedisTarget,
} from './redis-connection.js';
export { type EnvVariable, type FieldVariable, formatDefault } from './variable.js';
export { withDefaults } from './with-defaults.js';
