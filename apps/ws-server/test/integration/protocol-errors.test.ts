import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startRedis, stopAll } from '@redpool/testkit';
import { MAX_DATA_DEPTH } from '../../src/connections/protocol.js';
import type { WsServer } from '../../src/index.js';
import { startInstance, stopAllServers, token, waitFor } from '../helpers.js';

afterAll(stopAll);

/** ws' client (the package has no types): what these tests use of it. */
interface RawSocket {
  on(event: 'message', listener: (data: Buffer) => void): void;
  once(event: 'open' | 'error', listener: (arg?: unknown) => void): void;
  send(frame: string): void;
  close(): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string) => RawSocket;

let server: WsServer;
beforeAll(async () => {
  const redis = await startRedis();
  server = await startInstance({ url: redis.url }, { rateLimitPerSecond: 1000, rateLimitBurst: 1000 });
});
afterAll(() => stopAllServers([server]));

/**
 * A raw Engine.IO/Socket.IO session over a WebSocket: sends `frames` after connecting and
 * resolves with the frames the server sent back (the handshake's excepted) once `until` holds.
 */
async function rawSession(frames: string[], until: (got: string[]) => boolean): Promise<string[]> {
  const ws = new WebSocket(
    `${server.address.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`,
  );
  const got: string[] = [];
  ws.on('message', (data: Buffer) => got.push(data.toString()));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(`40${JSON.stringify({ token: token('raw') })}`);
  await waitFor('connected', () => got.some((f) => f.startsWith('40')), 15_000);
  for (const frame of frames) ws.send(frame);
  try {
    await waitFor(
      () => `an answer to ${frames[0]?.slice(0, 40)} (got ${got.join(' ')})`,
      () => until(got.slice(2)),
    );
  } finally {
    ws.close();
  }
  return got.slice(2);
}

const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('malformed events get a clear answer, never an internal one', () => {
  test(`data nested deeper than ${MAX_DATA_DEPTH} is refused by the depth limit (also 5,000 deep)`, async () => {
    for (const depth of [MAX_DATA_DEPTH + 1, 5000]) {
      const [answer] = await rawSession(
        [`421["publish",{"channel":"chat.deep","data":${nested(depth)}}]`],
        (g) => g.some((f) => f.startsWith('431')),
      );
      expect(JSON.parse(answer!.slice(3))).toEqual([
        {
          ok: false,
          error: {
            code: 'WS_ERR_BAD_REQUEST',
            message: `publish: "data" nests arrays and objects more than ${MAX_DATA_DEPTH} deep`,
          },
        },
      ]);
    }
    const [ok] = await rawSession(
      [`422["publish",{"channel":"chat.deep","data":${nested(MAX_DATA_DEPTH)}}]`],
      (g) => g.some((f) => f.startsWith('432')),
    );
    expect(JSON.parse(ok!.slice(3))[0]).toMatchObject({ ok: true, channel: 'chat.deep' });
  });

  test('an event without a name (a bare "42" frame) is rejected without naming "undefined"', async () => {
    const [rejected] = await rawSession(['42'], (g) => g.some((f) => f.includes('rejected')));
    expect(rejected).not.toContain('undefined');
    expect(JSON.parse(rejected!.slice(2))).toEqual([
      'rejected',
      {
        event: '',
        code: 'WS_ERR_UNKNOWN_EVENT',
        message: 'an event needs a name (a string): send subscribe, unsubscribe or publish',
      },
    ]);
  });

  test('an acknowledgement id beyond 2^53 - 1 is refused, never echoed as 1e+23', async () => {
    for (const id of ['100000000000000000000000', '9007199254740993']) {
      const got = await rawSession([`42${id}["publish",{"channel":"chat.ack","data":1}]`], (g) =>
        g.some((f) => f.includes('rejected')),
      );
      expect(got.join(' ')).not.toMatch(/^43|e\+23|9007199254740992/);
      const rejected = got.find((f) => f.includes('rejected'))!;
      expect(JSON.parse(rejected.slice(2))).toEqual([
        'rejected',
        {
          event: '',
          code: 'WS_ERR_BAD_REQUEST',
          message: `acknowledgement ids are integers from 0 to ${Number.MAX_SAFE_INTEGER}; the event was not handled`,
        },
      ]);
    }
    // The largest valid id is answered with that very id.
    const [ack] = await rawSession(['429007199254740991["publish",{"channel":"chat.ack","data":1}]'], (g) =>
      g.some((f) => f.startsWith('43')),
    );
    expect(ack!.startsWith('439007199254740991[')).toBe(true);
  });

  test('an oversized Authorization header gets 431 with the limits in a JSON body', async () => {
    const { port } = server.address;
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(
        `GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${'a'.repeat(20_000)}\r\n\r\n`,
      );
    });
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
    expect(body.error).toMatch(
      /request headers larger than 16384 bytes; send the token as auth\.token .*8192 characters/,
    );
  });
});
