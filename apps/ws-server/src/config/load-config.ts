import { type Environment, formatDefault, readEnvironment } from '@redpool/config';
import { publicKeySource } from '../auth/token-key.js';
import { InvalidConfigError } from '../errors.js';
import { DEFAULT_WS_CONFIG, DEV_JWT_SECRET, validateConfig, type WsConfig } from './config.js';
import { CONFIG_VARIABLES, type ConfigVariable } from './config-variables.js';

/**
 * Reads and validates the configuration, in one place. Unset or empty variables take their
 * default; a bad value throws {@link InvalidConfigError} naming the variable and the allowed range.
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Environment = process.env): WsConfig {
  const production = env.NODE_ENV === 'production';
  const config = readEnvironment(env, CONFIG_VARIABLES, {
    // Development endpoints are off by default in production; WS_DEV_ENDPOINTS's defaultText says both.
    defaults: { ...DEFAULT_WS_CONFIG, devEndpoints: !production && !publicKeyConfigured(env) },
    invalidValue: InvalidConfigError,
  });
  if (production && config.jwtSecret === DEV_JWT_SECRET && !publicKeySource(config))
    throw new InvalidConfigError(
      'WS_JWT_SECRET',
      '',
      'at least 32 characters; required when NODE_ENV=production',
    );
  if (production && config.devEndpoints)
    throw new InvalidConfigError('WS_DEV_ENDPOINTS', 'true', 'false when NODE_ENV=production');
  return validateConfig(config);
}

/** Whether the environment names a public key source (the development endpoints are then off by default). */
function publicKeyConfigured(env: Environment): boolean {
  return ['WS_JWT_PUBLIC_KEY', 'WS_JWT_PUBLIC_KEY_FILE', 'WS_JWT_JWKS_URL'].some((name) => env[name]?.trim());
}

/** How a variable's default is shown in errors and docs. */
export function defaultText(variable: ConfigVariable): string {
  return formatDefault(variable, DEFAULT_WS_CONFIG);
}
