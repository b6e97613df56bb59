import { describe, expect, test } from '@jest/globals';
import {
  CodecConfigError,
  CodecError,
  type CodecOptions,
  createCodec,
  DEFAULT_CODEC_OPTIONS,
  MAX_COMPRESS_MIN_BYTES,
} from '../src/index.js';

function configError(options: unknown): CodecConfigError {
  try {
    createCodec(options as CodecOptions);
  } catch (err) {
    if (err instanceof CodecConfigError) return err;
    throw err;
  }
  throw new Error('createCodec accepted invalid options');
}

describe('defaults', () => {
  test('DEFAULT_CODEC_OPTIONS', () => {
    expect(DEFAULT_CODEC_OPTIONS).toEqual({ serializer: 'json', compressMinBytes: 100, dictionaries: [] });
    expect(Object.isFrozen(DEFAULT_CODEC_OPTIONS)).toBe(true);
  });

  test.each([undefined, {}, { serializer: undefined, compressMinBytes: undefined }])(
    '%p gives the defaults',
    (options) => {
      expect(createCodec(options).options).toEqual(DEFAULT_CODEC_OPTIONS);
    },
  );

  test('bounds are accepted', () => {
    expect(createCodec({ compressMinBytes: 0 }).options.compressMinBytes).toBe(0);
    expect(createCodec({ compressMinBytes: MAX_COMPRESS_MIN_BYTES }).options.compressMinBytes).toBe(
      MAX_COMPRESS_MIN_BYTES,
    );
    expect(createCodec({ serializer: 'msgpack' }).options.serializer).toBe('msgpack');
  });
});

describe('invalid options throw CodecConfigError naming field, value and range', () => {
  test.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_COMPRESS_MIN_BYTES + 1, '100', null])(
    'compressMinBytes %p',
    (value) => {
      const err = configError({ compressMinBytes: value });
      expect(err).toBeInstanceOf(CodecError);
      expect(err).toMatchObject({ code: 'CODEC_ERR_INVALID_OPTION', field: 'compressMinBytes', value });
      expect(err.message).toContain('"compressMinBytes"');
      expect(err.message).toContain(typeof value === 'string' ? '"100"' : String(value));
      expect(err.message).toContain(`an integer from 0 (compression off) to ${MAX_COMPRESS_MIN_BYTES}`);
      expect(err.name).toBe('CodecConfigError');
    },
  );

  test.each(['xml', 'JSON', '', null, 1])('serializer %p', (value) => {
    const err = configError({ serializer: value });
    expect(err).toMatchObject({ code: 'CODEC_ERR_INVALID_OPTION', field: 'serializer', value });
    expect(err.message).toContain(`'json' | 'msgpack'`);
  });

  test('an unknown option (typo) is rejected by name, with the closest option', () => {
    const err = configError({ compressMinByte: 10 });
    expect(err).toMatchObject({ field: 'compressMinByte', value: 10 });
    expect(err.message).toContain('no such option; did you mean "compressMinBytes"?');
    expect(err.message).toMatch(/known options: serializer, compressMinBytes, dictionaries/);
    expect(configError({ Serialiser: 'json' }).message).toContain('did you mean "serializer"?');
  });

  test('an unknown option like none of them lists the known ones without a guess', () => {
    const err = configError({ ttl: 60 });
    expect(err).toMatchObject({ field: 'ttl', value: 60 });
    expect(err.message).not.toContain('did you mean');
    expect(err.message).toContain('known options: serializer, compressMinBytes, dictionaries');
  });

  test.each([42, 'json', null, []])('options %p that is not an object', (options) => {
    expect(configError(options)).toMatchObject({ field: 'options', code: 'CODEC_ERR_INVALID_OPTION' });
  });
});
