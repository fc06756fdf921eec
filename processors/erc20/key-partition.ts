import { murmur2, partitionOfKey } from '../../schemas/topic-keys.ts';

/** Longest key hashed in place; longer ones (none of the decoder's) go through partitionOfKey. */
const MAX_IN_PLACE = 256;
/**
 * Reused byte arrays, one per key length: murmur2 hashes a whole array, and the decoder's keys come in a handful of
 * lengths. Only ever written and read within one synchronous call, so sharing them keeps processors pure.
 */
const scratch: (Uint8Array | undefined)[] = [];

/** Copies an ASCII string's bytes to `bytes` at `at`; false (part copied) when it has any other character. */
function copyAscii(s: string, bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return false;
    bytes[at + i] = c;
  }
  return true;
}

/**
 * `partitionOfKey(a + b + c, partitions)` without building the key or a Buffer for it: the decoder routes two or three
 * rows per transfer (token, sender, receiver) and builds a key string only for the first row of a partition. ASCII
 * keys (digits, ':' and hex: every key the decoder builds from well-formed records) are hashed in place with the
 * contract's murmur2; anything else goes through partitionOfKey itself (UTF-8). A unit test compares the two.
 */
export function partitionOfParts(a: string, b: string, c: string, partitions: number): number {
  const length = a.length + b.length + c.length;
  if (length > MAX_IN_PLACE) return partitionOfKey(a + b + c, partitions);
  let bytes = scratch[length];
  if (bytes === undefined) scratch[length] = bytes = new Uint8Array(length);
  if (!copyAscii(a, bytes, 0) || !copyAscii(b, bytes, a.length) || !copyAscii(c, bytes, a.length + b.length))
    return partitionOfKey(a + b + c, partitions);
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}
