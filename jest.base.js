// Shared jest configuration: every package's jest.config.js calls jestConfig().
// Tests run as native ES modules (node --experimental-vm-modules), compiled by swc.
import { fileURLToPath } from 'node:url';

const setupFile = fileURLToPath(new URL('./jest.setup.js', import.meta.url));

/**
 * @param {{ testTimeout?: number }} [overrides]
 * @returns {import('jest').Config}
 */
export function jestConfig(overrides = {}) {
  return {
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    roots: ['<rootDir>/test'],
    testMatch: ['**/*.test.ts'],
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    setupFilesAfterEnv: [setupFile],
    testTimeout: overrides.testTimeout ?? 30_000,
    // Tests start real redis-server processes; one file at a time keeps the 2-core box honest.
    maxWorkers: 1,
    verbose: true,
    // Every test file stops its servers and clients in afterAll; a library timer that outlives
    // them (ioredis' disconnect timer, BullMQ's close) must not keep CI waiting.
    forceExit: true,
  };
}
