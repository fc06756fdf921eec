import { MAX_DECIMALS } from './amount.ts';

/**
 * Pure decoding of what `decimals()`, `symbol()` and `name()` calls return, for the tokens that do not follow the
 * standard: bytes32 instead of string (MKR, EOS, SAI…), strings padded with NULs, empty or reverted results,
 * oversized integers. Garbage decodes to a reason, never to a guessed value.
 */

export type MetadataDecodeFailure =
  'empty' | 'malformed_hex' | 'bad_length' | 'bad_offset' | 'out_of_range' | 'invalid_utf8' | 'blank' | 'too_long';

export type MetadataDecodeResult<T> =
  | { readonly ok: true; readonly value: T; readonly encoding: 'uint' | 'string' | 'bytes32' }
  | { readonly ok: false; readonly reason: MetadataDecodeFailure };

const HEX_BYTES_RE = /^0x(?:[0-9a-fA-F]{2})*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(reason: MetadataDecodeFailure): { ok: false; reason: MetadataDecodeFailure } {
  return { ok: false, reason };
}

function word(hex: string, byteOffset: number): bigint {
  return BigInt('0x' + hex.slice(2 + byteOffset * 2, 2 + (byteOffset + 32) * 2));
}

/**
 * Decodes a `decimals()` return: the first 32-byte word as an unsigned integer, which must fit a uint8
 * (tokens declaring `uint256 decimals` return the same word). Extra trailing bytes are ignored as ABI decoders do.
 * @example decodeDecimalsResult('0x…12') // { ok: true, value: 18, encoding: 'uint' }
 */
export function decodeDecimalsResult(hex: string | undefined): MetadataDecodeResult<number> {
  if (hex === undefined || hex === '0x') return fail('empty');
  if (!HEX_BYTES_RE.test(hex)) return fail('malformed_hex');
  if ((hex.length - 2) / 2 < 32) return fail('bad_length');
  const value = word(hex, 0);
  if (value > BigInt(MAX_DECIMALS)) return fail('out_of_range');
  return { ok: true, value: Number(value), encoding: 'uint' };
}

/**
 * Decodes a `symbol()`/`name()` return that is either an ABI `string` (offset, length, bytes) or a `bytes32`
 * (exactly 32 bytes, NUL-padded). Text must be valid UTF-8; NUL and other control characters are removed (some
 * tokens declare a longer string length and pad it with NULs) and surrounding whitespace trimmed. An empty
 * result is `blank`, i.e. unknown.
 * @example decodeTextResult('0x454f53' + '00'.repeat(29)) // { ok: true, value: 'EOS', encoding: 'bytes32' }
 */
export function decodeTextResult(hex: string | undefined, maxLength = 256): MetadataDecodeResult<string> {
  if (hex === undefined || hex === '0x') return fail('empty');
  if (!HEX_BYTES_RE.test(hex)) return fail('malformed_hex');
  const size = (hex.length - 2) / 2;
  let bytes: Uint8Array;
  let encoding: 'string' | 'bytes32';
  if (size === 32) {
    encoding = 'bytes32';
    const all = Buffer.from(hex.slice(2), 'hex');
    const nul = all.indexOf(0);
    bytes = nul < 0 ? all : all.subarray(0, nul);
  } else if (size >= 64) {
    encoding = 'string';
    const offset = word(hex, 0);
    if (offset % 32n !== 0n || offset + 32n > BigInt(size)) return fail('bad_offset');
    const start = Number(offset) + 32;
    const length = word(hex, Number(offset));
    if (BigInt(start) + length > BigInt(size)) return fail('bad_length');
    bytes = Buffer.from(hex.slice(2 + start * 2, 2 + (start + Number(length)) * 2), 'hex');
  } else {
    return fail('bad_length');
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return fail('invalid_utf8');
  }
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  text = text.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (text.length === 0) return fail('blank');
  if (text.length > maxLength) return fail('too_long');
  return { ok: true, value: text, encoding };
}
