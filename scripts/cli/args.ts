import { InvalidArgumentError } from 'commander';
import { isAddress } from 'viem';

/** Commander option parsers shared by the commands: a bad value is a usage error (commander prints it with the usage, exit 1). */

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** A 0x address (any case, checksum not required), lowercased. Variadic options collect into `previous`. */
export function contractAddress(value: string, previous: string[] = []): string[] {
  if (!isAddress(value, { strict: false })) throw new InvalidArgumentError(`expected a 0x address, got ${value}`);
  return [...previous, value.toLowerCase()];
}
