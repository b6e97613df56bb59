/**
 * Typed errors thrown by the testkit. Every error carries a stable `code` that tests can match on.
 */

/** Stable error codes used by {@link TestkitError} subclasses. */
export type TestkitErrorCode =
  | 'TESTKIT_ERR_REDIS_MISSING'
  | 'TESTKIT_ERR_OPENSSL_MISSING'
  | 'TESTKIT_ERR_START_FAILED'
  | 'TESTKIT_ERR_TIMEOUT'
  | 'TESTKIT_ERR_TLS_SETUP'
  | 'TESTKIT_ERR_CLUSTER'
  | 'TESTKIT_ERR_SENTINEL'
  | 'TESTKIT_ERR_DISPOSED'
  | 'TESTKIT_ERR_NOT_RUNNING'
  | 'TESTKIT_ERR_NO_NETWORK_ADDRESS';

/** Base class of every error thrown by `@redpool/testkit`. */
export class TestkitError extends Error {
  /** Stable machine-readable code, e.g. `TESTKIT_ERR_REDIS_MISSING`. */
  readonly code: TestkitErrorCode;

  constructor(code: TestkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** `redis-server` is not on PATH. The message is a single line with the install command. */
export class RedisNotInstalledError extends TestkitError {
  /** The binary that was looked up. */
  readonly binary: string;

  constructor(binary = 'redis-server') {
    super(
      'TESTKIT_ERR_REDIS_MISSING',
      `${binary} not found on PATH: install it with "apt-get install -y redis-server" (Debian/Ubuntu) or "brew install redis"`,
    );
    this.binary = binary;
  }
}

/** `openssl` is not on PATH (needed only for `tls: true`). */
export class OpensslNotInstalledError extends TestkitError {
  constructor() {
    super(
      'TESTKIT_ERR_OPENSSL_MISSING',
      'openssl not found on PATH: install it with "apt-get install -y openssl" (Debian/Ubuntu) or "brew install openssl"',
    );
  }
}

/** A redis-server (or sentinel) process exited or did not answer PING before its start deadline. */
export class RedisStartError extends TestkitError {
  /** Last lines of the server's log, oldest first. */
  readonly logTail: readonly string[];
  /** Port the server was told to listen on. */
  readonly port: number;

  constructor(message: string, port: number, logTail: readonly string[]) {
    const tail =
      logTail.length > 0 ? `\n--- last ${logTail.length} log lines ---\n${logTail.join('\n')}` : '';
    super('TESTKIT_ERR_START_FAILED', `${message}${tail}`);
    this.port = port;
    this.logTail = logTail;
  }
}

/** A wait (cluster state, failover, replication link...) did not complete before its deadline. */
export class TestkitTimeoutError extends TestkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TESTKIT_ERR_TIMEOUT', message, options);
  }
}

/** Generating the throw-away CA / server certificate with openssl failed. */
export class TlsSetupError extends TestkitError {
  constructor(message: string) {
    super('TESTKIT_ERR_TLS_SETUP', message);
  }
}

/** A cluster operation was impossible (e.g. failover of a master that has no replica). */
export class ClusterError extends TestkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TESTKIT_ERR_CLUSTER', message, options);
  }
}

/** A sentinel operation failed (e.g. no sentinel reachable). */
export class SentinelError extends TestkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TESTKIT_ERR_SENTINEL', message, options);
  }
}

/** The handle was already released by `stopAll()` (its temp dir is gone); start a new one. */
export class DisposedError extends TestkitError {
  constructor(what: string) {
    super('TESTKIT_ERR_DISPOSED', `${what} was disposed by stopAll(); start a new one`);
  }
}

/** A fault (freeze/thaw) was asked of a process that is not running. */
export class NotRunningError extends TestkitError {
  constructor(what: string, action: string) {
    super('TESTKIT_ERR_NOT_RUNNING', `cannot ${action} ${what}: it is not running`);
  }
}

/** The machine has no IPv4 address outside 127.0.0.0/8 and a dummy interface could not be added. */
export class NoNetworkAddressError extends TestkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TESTKIT_ERR_NO_NETWORK_ADDRESS', message, options);
  }
}
