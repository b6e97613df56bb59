import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { CONFIG_VARIABLES as WORKER_VARIABLES } from '@redpool/worker';
import { CONFIG_VARIABLES as WS_VARIABLES } from '@redpool/ws-server';
import { redisConfDirectives } from '../../src/index.js';
import {
  CONFIGURATION_MD,
  documentedVariables,
  durationSeconds,
  INFRA,
  OPERATIONS_MD,
  readText,
  readYaml,
  readYamlDocuments,
  WS_DRAIN_GRACE_SECONDS,
} from '../helpers.js';

/** Variables every Node process understands; not the apps' configuration. */
const STANDARD_VARIABLES = new Set(['NODE_ENV']);
const APP_VARIABLES: Record<string, Set<string>> = {
  'ws-server': new Set(WS_VARIABLES.map((v) => v.name)),
  worker: new Set(WORKER_VARIABLES.map((v) => v.name)),
};
const documented = existsSync(CONFIGURATION_MD)
  ? documentedVariables(readText(CONFIGURATION_MD))
  : new Set<string>();

/** Problems with the environment variables given to `app`: unknown to it, or undocumented. */
function variableProblems(app: string, names: Iterable<string>): string[] {
  const problems: string[] = [];
  for (const name of names) {
    if (STANDARD_VARIABLES.has(name)) continue;
    if (!APP_VARIABLES[app]!.has(name)) problems.push(`${app}: ${name} is not read by the app`);
    if (!documented.has(name)) problems.push(`${app}: ${name} is not in docs/configuration.md`);
  }
  return problems;
}

// ------------------------------------------------------------------ Redis configuration

describe.each([
  ['redis-core.conf', 'noeviction'],
  ['redis-cache.conf', 'allkeys-lru'],
])('infra/redis/%s', (file, policy) => {
  const path = join(INFRA, 'redis', file);
  const directives = redisConfDirectives(path);

  test(`maxmemory-policy ${policy}, and every required directive is set`, () => {
    expect(directives.get('maxmemory-policy')).toEqual([policy]);
    for (const d of ['maxclients', 'timeout', 'tcp-keepalive', 'maxmemory', 'appendonly', 'save']) {
      expect([d, directives.get(d)?.length]).toEqual([d, 1]);
    }
  });

  test('every required directive comes with a comment giving the reason', () => {
    // A directive is explained when its paragraph (lines since the last blank line) has a comment.
    const required = [
      'maxclients',
      'timeout',
      'tcp-keepalive',
      'maxmemory',
      'maxmemory-policy',
      'appendonly',
      'save',
    ];
    const unexplained: string[] = [];
    let commented = false;
    for (const raw of readText(path).split('\n')) {
      const line = raw.trim();
      if (line === '') commented = false;
      else if (line.startsWith('#')) commented = true;
      else if (required.includes(line.split(/\s+/)[0]!) && !commented) unexplained.push(line);
    }
    expect(unexplained).toEqual([]);
  });
});

test('the core role persists (AOF), the cache role does not', () => {
  const core = redisConfDirectives(join(INFRA, 'redis/redis-core.conf'));
  const cache = redisConfDirectives(join(INFRA, 'redis/redis-cache.conf'));
  expect(core.get('appendonly')).toEqual(['yes']);
  expect(cache.get('appendonly')).toEqual(['no']);
  expect(cache.get('save')).toEqual(['""']);
});

// ------------------------------------------------------------------ compose

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; target: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
  depends_on?: unknown;
}
const compose = readYaml<{ services: Record<string, ComposeService> }>(join(INFRA, 'compose.yaml'));
const services = compose.services;

describe('infra/compose.yaml', () => {
  test('runs Redis core + cache, redis_exporter, Prometheus, Grafana, two ws-servers and a worker', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'grafana',
        'prometheus',
        'redis-cache',
        'redis-core',
        'redis-exporter',
        'worker',
        'ws-server-1',
        'ws-server-2',
      ].sort(),
    );
  });

  test('every image is pinned to a version', () => {
    for (const [name, service] of Object.entries(services)) {
      expect([name, service.image]).toEqual([name, expect.stringMatching(/^[a-z0-9./_-]+:[A-Za-z0-9._-]+$/)]);
      expect([name, service.image?.endsWith(':latest')]).toEqual([name, false]);
    }
  });

  test('app images are built by infra/docker/Dockerfile, whose stages exist', () => {
    const dockerfile = readText(join(INFRA, 'docker/Dockerfile'));
    for (const [name, target] of [
      ['ws-server-1', 'ws-server'],
      ['ws-server-2', 'ws-server'],
      ['worker', 'worker'],
    ] as const) {
      expect(services[name]?.build).toEqual({ context: '..', dockerfile: 'infra/docker/Dockerfile', target });
      expect(dockerfile).toMatch(new RegExp(`^FROM \\S+ AS ${target}$`, 'm'));
    }
    expect(existsSync(join(INFRA, 'docker/Dockerfile.dockerignore'))).toBe(true);
  });

  test('the ws-server image runs node with the flags of its start script (the benchmarked command)', () => {
    const dockerfile = readText(join(INFRA, 'docker/Dockerfile'));
    const stage = dockerfile.slice(dockerfile.indexOf('AS ws-server'));
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(stage)?.[1] ?? '[]') as string[];
    const pkg = JSON.parse(readText(join(INFRA, '../apps/ws-server/package.json'))) as {
      scripts: { start: string };
    };
    expect(cmd.join(' ')).toBe(pkg.scripts.start);
    expect(cmd).toContain('--min-semi-space-size=32');
    expect(cmd).toContain('--no-memory-reducer');
  });

  test('every file mounted from the repository exists; each Redis gets its own role config', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./'))
          expect([name, source, existsSync(join(INFRA, source))]).toEqual([name, source, true]);
      }
    }
    expect(services['redis-core']?.volumes).toContain(
      './redis/redis-core.conf:/usr/local/etc/redis/redis.conf:ro',
    );
    expect(services['redis-cache']?.volumes).toContain(
      './redis/redis-cache.conf:/usr/local/etc/redis/redis.conf:ro',
    );
    expect(services['redis-core']?.command).toEqual(['redis-server', '/usr/local/etc/redis/redis.conf']);
    expect(services['redis-exporter']?.command).toEqual(['-redis.addr=']);
  });

  test('apps get only variables they read, all documented in docs/configuration.md', () => {
    const problems = [
      ...variableProblems('ws-server', Object.keys(services['ws-server-1']?.environment ?? {})),
      ...variableProblems('ws-server', Object.keys(services['ws-server-2']?.environment ?? {})),
      ...variableProblems('worker', Object.keys(services.worker?.environment ?? {})),
    ];
    expect([...new Set(problems)]).toEqual([]);
  });

  test('apps talk to the core Redis, and their health checks use /readyz', () => {
    for (const name of ['ws-server-1', 'ws-server-2', 'worker']) {
      expect(services[name]?.environment?.REDIS_URL).toBe('redis://redis-core:6379');
      expect(services[name]?.healthcheck?.test.join(' ')).toContain('/readyz');
    }
  });

  test('stop grace periods cover the ws-server drain and the worker shutdown timeout', () => {
    for (const name of ['ws-server-1', 'ws-server-2']) {
      expect(durationSeconds(services[name]!.stop_grace_period!)).toBeGreaterThan(WS_DRAIN_GRACE_SECONDS);
    }
    const shutdownMs = Number(services.worker?.environment?.SHUTDOWN_TIMEOUT_MS ?? 10_000);
    expect(durationSeconds(services.worker!.stop_grace_period!)).toBeGreaterThan(shutdownMs / 1000);
  });
});

// ------------------------------------------------------------------ Kubernetes

interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
  tcpSocket?: { port: string | number };
}
interface Container {
  name: string;
  image: string;
  ports?: Array<{ name: string; containerPort: number }>;
  env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { memory?: string } };
  volumeMounts?: Array<{ name: string; subPath?: string }>;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: {
      metadata: { labels: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds?: number;
        containers: Container[];
        volumes?: Array<{ name: string; configMap?: { name: string } }>;
      };
    };
    ports?: Array<{ name: string; port: number; targetPort: string | number }>;
    maxUnavailable?: number;
    minAvailable?: number;
    podSelector?: { matchLabels?: Record<string, string> };
    policyTypes?: string[];
    ingress?: Array<{
      from?: Array<{ namespaceSelector?: { matchLabels?: Record<string, string> } }>;
      ports?: Array<{ port?: string | number }>;
    }>;
  };
}

const K8S = join(INFRA, 'k8s');
const kustomization = readYaml<{ resources: string[] }>(join(K8S, 'kustomization.yaml'));
const objects = kustomization.resources.flatMap((file) => readYamlDocuments<K8sObject>(join(K8S, file)));
const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
const configMap = find('ConfigMap', 'redpool-env');

describe('infra/k8s', () => {
  test('kustomization lists every manifest of the directory', () => {
    const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  test('every object has apiVersion, kind and a name', () => {
    for (const o of objects) {
      expect(o.apiVersion).toMatch(/^([a-z0-9.-]+\/)?v\d/);
      expect(o.kind).toMatch(/^[A-Z]/);
      expect(o.metadata.name).toMatch(/^[a-z0-9-]+$/);
    }
  });

  test('workloads: selectors match pod labels; every container has requests and a memory limit', () => {
    for (const w of workloads) {
      const labels = w.spec?.template?.metadata.labels ?? {};
      expect([w.metadata.name, w.spec?.selector?.matchLabels]).toEqual([
        w.metadata.name,
        expect.objectContaining({ 'app.kubernetes.io/name': labels['app.kubernetes.io/name'] }),
      ]);
      for (const [k, v] of Object.entries(w.spec?.selector?.matchLabels ?? {})) expect(labels[k]).toBe(v);
      for (const c of w.spec?.template?.spec.containers ?? []) {
        expect([
          c.name,
          c.resources?.requests?.cpu,
          c.resources?.requests?.memory,
          c.resources?.limits?.memory,
        ]).toEqual([c.name, expect.any(String), expect.any(String), expect.any(String)]);
        expect([c.name, c.readinessProbe !== undefined, c.livenessProbe !== undefined]).toEqual([
          c.name,
          true,
          true,
        ]);
      }
    }
  });

  test.each(['ws-server', 'worker'])(
    '%s: probes on /readyz and /healthz by named port, preStop, grace period',
    (app) => {
      const deployment = find('Deployment', app);
      expect(deployment).toBeDefined();
      const pod = deployment!.spec!.template!.spec;
      const [container] = pod.containers;
      const portNames = (container!.ports ?? []).map((p) => p.name);
      expect(container!.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(container!.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(portNames).toContain(container!.readinessProbe?.httpGet?.port);
      expect(portNames).toContain(container!.livenessProbe?.httpGet?.port);
      const preStop = container!.lifecycle?.preStop?.exec?.command ?? [];
      expect(preStop[0]).toBe('sleep');
      const preStopSeconds = Number(preStop[1]);
      const shutdownSeconds =
        app === 'ws-server'
          ? WS_DRAIN_GRACE_SECONDS
          : Number(configMap?.data?.SHUTDOWN_TIMEOUT_MS ?? 10_000) / 1000;
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + shutdownSeconds);
      expect(deployment!.spec!.replicas).toBeGreaterThanOrEqual(2);
    },
  );

  test.each(['ws-server', 'worker'])('%s: a PodDisruptionBudget keeps one replica up', (app) => {
    const pdb = objects.find(
      (o) =>
        o.kind === 'PodDisruptionBudget' && o.spec?.selector?.matchLabels?.['app.kubernetes.io/name'] === app,
    );
    expect(pdb?.apiVersion).toBe('policy/v1');
    const replicas = find('Deployment', app)!.spec!.replicas!;
    const minUp = pdb?.spec?.minAvailable ?? replicas - (pdb?.spec?.maxUnavailable ?? replicas);
    expect(minUp).toBeGreaterThanOrEqual(1);
  });

  test('Services select existing pods and target named container ports', () => {
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const selector = service.spec?.selector as Record<string, string> | undefined;
      const workload = workloads.find((w) =>
        Object.entries(selector ?? {}).every(([k, v]) => w.spec?.template?.metadata.labels[k] === v),
      );
      expect([service.metadata.name, workload?.metadata.name]).toEqual([
        service.metadata.name,
        expect.any(String),
      ]);
      const portNames = workload!.spec!.template!.spec.containers.flatMap((c) =>
        (c.ports ?? []).map((p) => p.name),
      );
      for (const port of service.spec?.ports ?? []) expect(portNames).toContain(port.targetPort);
    }
  });

  test.each([
    ['ws-server', 'ops'],
    ['worker', 'http'],
  ])('%s: a NetworkPolicy admits only the monitoring namespace to the port serving /metrics', (app, port) => {
    const policy = objects.find(
      (o) =>
        o.kind === 'NetworkPolicy' && o.spec?.podSelector?.matchLabels?.['app.kubernetes.io/name'] === app,
    );
    expect(policy?.apiVersion).toBe('networking.k8s.io/v1');
    expect(policy?.spec?.policyTypes).toContain('Ingress');
    const rules = policy?.spec?.ingress ?? [];
    const admitting = rules.filter((r) => (r.ports ?? []).some((p) => p.port === port));
    expect(admitting.length).toBeGreaterThan(0);
    for (const rule of admitting)
      expect(
        rule.from?.map((f) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']),
      ).toEqual(['monitoring']);
  });

  test('probed and scraped ports listen beyond loopback (the apps default to 127.0.0.1)', () => {
    // The kubelet probes and Prometheus scrapes the pod IP: a loopback-only listener would fail both.
    expect(configMap?.data?.WORKER_HTTP_HOST).toBe('0.0.0.0');
    expect(configMap?.data?.WS_ADMIN_HOST).toBe('0.0.0.0');
  });

  test('the redis-config ConfigMap holds infra/redis/*.conf verbatim, mounted by role', () => {
    const redisConfig = find('ConfigMap', 'redis-config');
    expect(redisConfig?.data?.['redis-core.conf']).toBe(readText(join(INFRA, 'redis/redis-core.conf')));
    expect(redisConfig?.data?.['redis-cache.conf']).toBe(readText(join(INFRA, 'redis/redis-cache.conf')));
    for (const [name, file] of [
      ['redis-core', 'redis-core.conf'],
      ['redis-cache', 'redis-cache.conf'],
    ]) {
      const workload = workloads.find((w) => w.metadata.name === name)!;
      const mounts = workload.spec!.template!.spec.containers[0]!.volumeMounts ?? [];
      expect(mounts.find((m) => m.name === 'config')?.subPath).toBe(file);
      expect(workload.spec!.template!.spec.volumes?.find((v) => v.name === 'config')?.configMap?.name).toBe(
        'redis-config',
      );
    }
  });

  test('apps get only variables they read, all documented; the Secret is documented in operations.md', () => {
    const problems: string[] = [];
    for (const app of ['ws-server', 'worker']) {
      const [container] = find('Deployment', app)!.spec!.template!.spec.containers;
      const fromMap = (container!.envFrom ?? []).flatMap((e) => {
        const map = e.configMapRef && find('ConfigMap', e.configMapRef.name);
        expect([app, e.configMapRef?.name, map !== undefined]).toEqual([app, e.configMapRef?.name, true]);
        return Object.keys(map?.data ?? {});
      });
      // Every app reads the whole shared ConfigMap: its keys must be known to the app that reads them,
      // except the few that configure the other app (the ConfigMap is shared).
      const own = fromMap.filter((n) => APP_VARIABLES[app]!.has(n) || STANDARD_VARIABLES.has(n));
      problems.push(...variableProblems(app, [...own, ...(container!.env ?? []).map((e) => e.name)]));
      for (const e of container!.env ?? []) {
        const secret = e.valueFrom?.secretKeyRef;
        if (secret) expect(readText(OPERATIONS_MD)).toContain(`${secret.name} --from-literal=${secret.key}=`);
      }
    }
    const unknown = Object.keys(configMap?.data ?? {}).filter(
      (n) =>
        !STANDARD_VARIABLES.has(n) && !APP_VARIABLES['ws-server']!.has(n) && !APP_VARIABLES.worker!.has(n),
    );
    expect(unknown).toEqual([]);
    expect(problems).toEqual([]);
  });

  test('images: apps are the Dockerfile’s, everything else pinned', () => {
    const kustomize = readYaml<{ images: Array<{ name: string; newTag: string }> }>(
      join(K8S, 'kustomization.yaml'),
    );
    for (const w of workloads) {
      for (const c of w.spec!.template!.spec.containers) {
        if (c.image.startsWith('redpool/')) {
          expect(kustomize.images.map((i) => i.name)).toContain(c.image);
          expect(readText(OPERATIONS_MD)).toContain(`--target ${c.image.slice('redpool/'.length)}`);
        } else {
          expect(c.image).toMatch(/^[a-z0-9./_-]+:v?\d[A-Za-z0-9._-]*$/);
        }
      }
    }
  });
});
