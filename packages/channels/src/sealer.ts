import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** First byte of an envelope: how the rest is stored. */
export const ENVELOPE_PLAIN = 0x00;
export const ENVELOPE_AES_256_GCM = 0x01;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = Buffer.from('redpool-channels');
const HKDF_INFO = Buffer.from('aes-256-gcm message key v1');

/** Why {@link Sealer.open} refused an envelope. */
export class SealError extends Error {}

/** Turns one secret into a 32-byte AES key with HKDF-SHA256. */
export function deriveKey(secret: string | Uint8Array): Buffer {
  const material = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  return Buffer.from(hkdfSync('sha256', material, HKDF_SALT, HKDF_INFO, 32));
}

/**
 * Wraps codec bytes in a one-byte envelope, encrypting them with AES-256-GCM (random 96-bit IV per
 * message) when keys are set:
 * `0x00 | codec bytes` or `0x01 | iv(12) | tag(16) | ciphertext`. The first key encrypts; every key
 * is tried to decrypt, so keys can be rotated.
 */
export class Sealer {
  private readonly keys: Buffer[];

  constructor(secrets: ReadonlyArray<string | Uint8Array>) {
    this.keys = secrets.map(deriveKey);
  }

  get encrypting(): boolean {
    return this.keys.length > 0;
  }

  seal(plain: Buffer): Buffer {
    const key = this.keys[0];
    if (key === undefined) {
      const out = Buffer.allocUnsafe(1 + plain.length);
      out[0] = ENVELOPE_PLAIN;
      plain.copy(out, 1);
      return out;
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const head = cipher.update(plain);
    const tail = cipher.final();
    return Buffer.concat([Buffer.of(ENVELOPE_AES_256_GCM), iv, cipher.getAuthTag(), head, tail]);
  }

  /** Returns the codec bytes of an envelope; throws {@link SealError} when it cannot. */
  open(envelope: Buffer): Buffer {
    const kind = envelope[0];
    if (kind === ENVELOPE_PLAIN) {
      if (this.keys.length > 0)
        throw new SealError('the message is not encrypted but symmetricEncryptionKeys is set');
      return envelope.subarray(1);
    }
    if (kind !== ENVELOPE_AES_256_GCM) throw new SealError(`unknown envelope type ${String(kind)}`);
    if (this.keys.length === 0)
      throw new SealError('the message is encrypted but no symmetricEncryptionKeys are set');
    if (envelope.length < 1 + IV_BYTES + TAG_BYTES) throw new SealError('the encrypted message is truncated');
    const iv = envelope.subarray(1, 1 + IV_BYTES);
    const tag = envelope.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const body = envelope.subarray(1 + IV_BYTES + TAG_BYTES);
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        // wrong key or tampered: try the next key
      }
    }
    throw new SealError('no key in symmetricEncryptionKeys authenticates it (wrong key or tampered)');
  }
}
