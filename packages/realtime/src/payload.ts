import { InvalidPayloadError, PayloadTooLargeError } from './errors.js';

/**
 * The payload as JSON text, checked: it must be a JSON value (no functions, symbols, bigints,
 * cycles, `undefined` at the top, or binary data) whose UTF-8 size is at most `maxPayloadBytes`.
 */
export function encodePayload(data: unknown, maxPayloadBytes: number): string {
  if (data === undefined) throw new InvalidPayloadError('undefined is not a JSON value');
  if (containsBinary(data, 0))
    throw new InvalidPayloadError('binary data is not supported; send base64 text');
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (err) {
    throw new InvalidPayloadError((err as Error).message);
  }
  if (json === undefined) throw new InvalidPayloadError(`a ${typeof data} is not a JSON value`);
  // JSON text is ASCII-heavy: check the cheap upper bound before counting UTF-8 bytes.
  if (json.length * 3 > maxPayloadBytes) {
    const bytes = Buffer.byteLength(json);
    if (bytes > maxPayloadBytes) throw new PayloadTooLargeError(bytes, maxPayloadBytes);
  }
  return json;
}

function containsBinary(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object' || depth > 32) return false;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  if (Array.isArray(value)) return value.some((v) => containsBinary(v, depth + 1));
  for (const key in value) {
    if (containsBinary((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}
