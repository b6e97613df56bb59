// Codec benchmark: encode+decode time per value and compression ratio for chat-like JSON at
// ~100 B, 1 KB and 10 KB, lz4 (this codec) vs zlib (deflate level 6, as django-redis'
// ZlibCompressor) on the same JSON bytes. Run: pnpm --filter @redpool/codec bench [--quick]
import { deepStrictEqual } from 'node:assert';
import { cpus, loadavg } from 'node:os';
import { deflateSync, inflateSync } from 'node:zlib';
import { chatValue } from '@redpool/testkit';
import { buildDictionary, createCodec } from '../src/index.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 3 : 9;
const ROUND_MS = QUICK ? 25 : 120;
const WARMUP_MS = QUICK ? 40 : 250;
const POOL = 32; // distinct values per size, cycled, so no variant benefits from one hot input

interface Variant {
  name: string;
  encode(value: unknown): Buffer;
  decode(stored: Buffer): unknown;
}

const lz4Json = createCodec();
const plainJson = createCodec({ compressMinBytes: 0 });
const lz4Msgpack = createCodec({ serializer: 'msgpack' });
// A dictionary built from other messages than the measured ones, as an app would ship it.
const dictionary = {
  id: 1,
  data: buildDictionary(Array.from({ length: 20 }, (_, i) => chatValue(1_024, 1_000_000 + i))),
};
const lz4JsonDictionary = createCodec({ dictionaries: [dictionary] });
const ZLIB_LEVEL = 6; // django-redis ZlibCompressor preset; also zlib's default

const VARIANTS: Variant[] = [
  { name: 'codec json+lz4 (default)', encode: (v) => lz4Json.encode(v), decode: (b) => lz4Json.decode(b) },
  {
    name: 'json+zlib (deflateSync)',
    encode: (v) => deflateSync(Buffer.from(JSON.stringify(v)), { level: ZLIB_LEVEL }),
    decode: (b) => JSON.parse(inflateSync(b).toString('utf8')),
  },
  {
    name: 'codec json, no compression',
    encode: (v) => plainJson.encode(v),
    decode: (b) => plainJson.decode(b),
  },
  { name: 'codec msgpack+lz4', encode: (v) => lz4Msgpack.encode(v), decode: (b) => lz4Msgpack.decode(b) },
  {
    name: 'codec json+lz4+8KB dictionary',
    encode: (v) => lz4JsonDictionary.encode(v),
    decode: (b) => lz4JsonDictionary.decode(b),
  },
];

const SIZES = [
  { label: '100b', bytes: 100 },
  { label: '1kb', bytes: 1024 },
  { label: '10kb', bytes: 10_240 },
];

let sink = 0;

/** Runs encode+decode over the pool for at least `ms`; returns µs per value. */
function run(variant: Variant, values: unknown[], ms: number): number {
  const deadline = performance.now() + ms;
  let ops = 0;
  const started = performance.now();
  do {
    for (let i = 0; i < 64; i++) {
      const stored = variant.encode(values[ops % values.length]);
      const decoded = variant.decode(stored);
      sink += stored.length + (decoded === null ? 0 : 1);
      ops++;
    }
  } while (performance.now() < deadline);
  return ((performance.now() - started) * 1000) / ops;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Row {
  size: string;
  rawBytes: number;
  variant: string;
  us: number;
  bestUs: number;
  storedBytes: number;
  ratio: number;
}

const rows: Row[] = [];
const loadBefore = loadavg()[0]!;
const startedAt = performance.now();
for (const size of SIZES) {
  const values = Array.from({ length: POOL }, (_, i) => chatValue(size.bytes, i + 1));
  const rawBytes = values.reduce<number>((sum, v) => sum + Buffer.byteLength(JSON.stringify(v)), 0);
  const samples = VARIANTS.map(() => [] as number[]);
  VARIANTS.forEach((variant) => {
    for (const v of values) deepStrictEqual(variant.decode(variant.encode(v)), v);
    run(variant, values, WARMUP_MS);
  });
  for (let round = 0; round < ROUNDS; round++) {
    // interleave variants so drift (thermal, GC, neighbours) hits all of them alike
    VARIANTS.forEach((variant, i) => {
      samples[i]!.push(run(variant, values, ROUND_MS));
    });
  }
  VARIANTS.forEach((variant, i) => {
    const storedBytes = values.reduce<number>((sum, v) => sum + variant.encode(v).length, 0);
    rows.push({
      size: size.label,
      rawBytes: rawBytes / POOL,
      variant: variant.name,
      us: median(samples[i]!),
      bestUs: Math.min(...samples[i]!),
      storedBytes: storedBytes / POOL,
      ratio: rawBytes / storedBytes,
    });
  });
}
const elapsedS = (performance.now() - startedAt) / 1000;

const pad = (s: string, n: number): string => s.padEnd(n);
const num = (x: number, digits: number, n: number): string => x.toFixed(digits).padStart(n);
console.log(
  `@redpool/codec bench${QUICK ? ' (--quick)' : ''}: node ${process.version}, ${cpus().length} CPU(s) ` +
    `${cpus()[0]?.model ?? ''}; ${ROUNDS} rounds x ${ROUND_MS} ms, median; ${POOL} values per size`,
);
console.log(
  `${pad('size', 6)}${pad('variant', 30)}${'JSON B'.padStart(8)}${'stored B'.padStart(10)}${'ratio'.padStart(8)}${'enc+dec µs'.padStart(12)}${'best µs'.padStart(10)}`,
);
for (const r of rows) {
  console.log(
    `${pad(r.size, 6)}${pad(r.variant, 30)}${num(r.rawBytes, 0, 8)}${num(r.storedBytes, 0, 10)}${num(r.ratio, 2, 8)}${num(r.us, 2, 12)}${num(r.bestUs, 2, 10)}`,
  );
}
console.log(
  `(${elapsedS.toFixed(1)} s; 1-min load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after; ` +
    `checksum ${sink % 997})`,
);

const find = (size: string, prefix: string): Row =>
  rows.find((r) => r.size === size && r.variant.startsWith(prefix))!;
const summary: Record<string, number | string | boolean> = {};
for (const { label } of SIZES) {
  const lz4 = find(label, 'codec json+lz4');
  const zlib = find(label, 'json+zlib');
  summary[`lz4_encode_decode_us_${label}`] = Number(lz4.us.toFixed(2));
  summary[`zlib_encode_decode_us_${label}`] = Number(zlib.us.toFixed(2));
  summary[`speedup_vs_zlib_${label}`] = Number((zlib.us / lz4.us).toFixed(2));
  summary[`ratio_${label}`] = Number(lz4.ratio.toFixed(2));
  summary[`zlib_ratio_${label}`] = Number(zlib.ratio.toFixed(2));
  summary[`json_nocompress_us_${label}`] = Number(find(label, 'codec json, no').us.toFixed(2));
  summary[`msgpack_lz4_us_${label}`] = Number(find(label, 'codec msgpack').us.toFixed(2));
  summary[`msgpack_lz4_ratio_${label}`] = Number(find(label, 'codec msgpack').ratio.toFixed(2));
  summary[`lz4_dictionary_us_${label}`] = Number(find(label, 'codec json+lz4+8KB').us.toFixed(2));
  summary[`lz4_dictionary_ratio_${label}`] = Number(find(label, 'codec json+lz4+8KB').ratio.toFixed(2));
}
summary.quick = QUICK;
summary.cpus = cpus().length;
summary.seconds = Number(elapsedS.toFixed(1));
summary.load_avg_1m = Number(loadavg()[0]!.toFixed(2));
console.log(JSON.stringify(summary));
