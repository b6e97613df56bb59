import type { RedisServer, RedisServerHandle } from './redis-server.js';
import type { RespValue } from './resp.js';
import type { TlsMaterial } from './tls.js';

/** Role of a cluster node as last observed by the testkit. */
export type ClusterRole = 'master' | 'replica';

/** A node of a {@link RedisCluster}: a {@link RedisServer} plus its cluster identity. */
export interface ClusterNode extends RedisServer {
  /** Cluster node id (CLUSTER MYID). */
  readonly id: string;
  /** Cluster bus port (`cluster-port`). */
  readonly busPort: number;
  /**
   * Last observed role. Refreshed by startCluster(), masters(), replicas() and failover(); an automatic
   * failover done by Redis itself is only seen after one of those calls.
   */
  readonly role: ClusterRole;
}

/** Delegating implementation of {@link ClusterNode}. Internal. */
export class ClusterNodeHandle implements ClusterNode {
  role: ClusterRole;
  id = '';

  constructor(
    readonly server: RedisServerHandle,
    role: ClusterRole,
  ) {
    this.role = role;
  }

  get busPort(): number {
    return this.server.extraPorts['cluster-port'] ?? 0;
  }
  get host(): string {
    return this.server.host;
  }
  get port(): number {
    return this.server.port;
  }
  get url(): string {
    return this.server.url;
  }
  get password(): string | undefined {
    return this.server.password;
  }
  get username(): string | undefined {
    return this.server.username;
  }
  get tls(): TlsMaterial | undefined {
    return this.server.tls;
  }
  get dir(): string {
    return this.server.dir;
  }
  get pid(): number | undefined {
    return this.server.pid;
  }
  get isRunning(): boolean {
    return this.server.isRunning;
  }
  get isFrozen(): boolean {
    return this.server.isFrozen;
  }
  /** Running and not frozen: it can answer. */
  get isLive(): boolean {
    return this.server.isRunning && !this.server.isFrozen;
  }
  stop(): Promise<void> {
    return this.server.stop();
  }
  kill(): Promise<void> {
    return this.server.kill();
  }
  freeze(): Promise<void> {
    return this.server.freeze();
  }
  thaw(): Promise<void> {
    return this.server.thaw();
  }
  restart(): Promise<void> {
    return this.server.restart();
  }
  info(section?: string): Promise<Record<string, string>> {
    return this.server.info(section);
  }
  command(...args: (string | number)[]): Promise<RespValue> {
    return this.server.command(...args);
  }
  logs(lines?: number): string[] {
    return this.server.logs(lines);
  }
}
