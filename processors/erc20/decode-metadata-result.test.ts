import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeDecimalsResult, decodeTextResult } from './decode-metadata-result.ts';
import { etlPath, readRpcResult } from './testing/shared-data.ts';

const word = (value: bigint): string => value.toString(16).padStart(64, '0');
/** ABI encoding of a string return: offset 32, length, bytes right-padded. */
const abiString = (bytesHex: string, declaredLength?: number): string =>
  '0x' +
  word(32n) +
  word(BigInt(declaredLength ?? bytesHex.length / 2)) +
  bytesHex.padEnd(Math.ceil(bytesHex.length / 64) * 64, '0');
const hexOf = (text: string): string => Buffer.from(text, 'utf8').toString('hex');

describe('decodeDecimalsResult', () => {
  it('reads a uint8 word', () => {
    expect(decodeDecimalsResult('0x' + word(18n))).toEqual({ ok: true, value: 18, encoding: 'uint' });
    expect(decodeDecimalsResult('0x' + word(0n))).toEqual({ ok: true, value: 0, encoding: 'uint' });
    expect(decodeDecimalsResult('0x' + word(255n))).toMatchObject({ ok: true, value: 255 });
    expect(decodeDecimalsResult('0x' + word(6n) + word(99n))).toMatchObject({ ok: true, value: 6 });
  });

  it('rejects garbage instead of guessing', () => {
    expect(decodeDecimalsResult(undefined)).toEqual({ ok: false, reason: 'empty' });
    expect(decodeDecimalsResult('0x')).toEqual({ ok: false, reason: 'empty' });
    expect(decodeDecimalsResult('0x12')).toEqual({ ok: false, reason: 'bad_length' });
    expect(decodeDecimalsResult('0x' + word(256n))).toEqual({ ok: false, reason: 'out_of_range' });
    expect(decodeDecimalsResult('0x' + 'f'.repeat(64))).toEqual({ ok: false, reason: 'out_of_range' });
    expect(decodeDecimalsResult('0xzz')).toEqual({ ok: false, reason: 'malformed_hex' });
  });
});

describe('decodeTextResult', () => {
  it('decodes ABI strings, including UTF-8', () => {
    expect(decodeTextResult(abiString(hexOf('USDT')))).toEqual({ ok: true, value: 'USDT', encoding: 'string' });
    expect(decodeTextResult(abiString(hexOf('Tether USD')))).toMatchObject({ value: 'Tether USD' });
    expect(decodeTextResult(abiString(hexOf('Ξther 🦄')))).toMatchObject({ value: 'Ξther 🦄' });
    const long = 'x'.repeat(100);
    expect(decodeTextResult(abiString(hexOf(long)))).toMatchObject({ value: long });
  });

  it('decodes bytes32 returns (MKR/EOS style)', () => {
    expect(decodeTextResult('0x' + hexOf('MKR').padEnd(64, '0'))).toEqual({ ok: true, value: 'MKR', encoding: 'bytes32' });
    expect(decodeTextResult('0x' + hexOf('Maker').padEnd(64, '0'))).toMatchObject({ value: 'Maker' });
    expect(decodeTextResult('0x' + hexOf('A'.repeat(32)))).toMatchObject({ value: 'A'.repeat(32) });
  });

  it('strips NUL padding inside a declared string length', () => {
    expect(decodeTextResult(abiString(hexOf('ETH') + '000000'))).toMatchObject({ ok: true, value: 'ETH' });
  });

  it('turns empty, blank and garbage results into reasons', () => {
    expect(decodeTextResult('0x')).toEqual({ ok: false, reason: 'empty' });
    expect(decodeTextResult('0x' + '0'.repeat(64))).toEqual({ ok: false, reason: 'blank' });
    expect(decodeTextResult('0x' + word(32n) + word(0n))).toEqual({ ok: false, reason: 'blank' });
    expect(decodeTextResult('0x' + word(33n) + word(3n) + hexOf('ABC').padEnd(64, '0'))).toEqual({
      ok: false,
      reason: 'bad_offset',
    });
    expect(decodeTextResult('0x' + word(2n ** 200n) + word(3n))).toEqual({ ok: false, reason: 'bad_offset' });
    expect(decodeTextResult('0x' + word(32n) + word(1000n) + hexOf('ABC').padEnd(64, '0'))).toEqual({
      ok: false,
      reason: 'bad_length',
    });
    expect(decodeTextResult('0x' + 'ff'.repeat(3) + '00'.repeat(29))).toEqual({ ok: false, reason: 'invalid_utf8' });
    expect(decodeTextResult('0x1234')).toEqual({ ok: false, reason: 'bad_length' });
    expect(decodeTextResult(abiString(hexOf('y'.repeat(65))), 64)).toEqual({ ok: false, reason: 'too_long' });
    expect(decodeTextResult('0xnot-hex')).toEqual({ ok: false, reason: 'malformed_hex' });
  });
});

describe('real mainnet eth_call returns (ethereum-etl recordings)', () => {
  const call = (dir: string, selector: string): string => {
    const file = readdirSync(dir).find((f) => f.startsWith(`web3_response.eth_call_data_${selector}_`));
    if (file === undefined) throw new Error(`no recording for ${selector} in ${dir}`);
    return readRpcResult<string>(`${dir}/${file}`);
  };

  it('EOS: bytes32 symbol, all-zero name, 18 decimals', () => {
    const dir = etlPath('test_export_tokens_job', 'token_with_alternative_return_type');
    expect(decodeTextResult(call(dir, '0x95d89b41'))).toEqual({ ok: true, value: 'EOS', encoding: 'bytes32' });
    expect(decodeTextResult(call(dir, '0x06fdde03'))).toEqual({ ok: false, reason: 'blank' });
    expect(decodeDecimalsResult(call(dir, '0x313ce567'))).toMatchObject({ value: 18 });
  });

  it('a string whose declared length includes NULs ("ETH\\0\\0\\0")', () => {
    const dir = etlPath('test_export_tokens_job', 'token_with_invalid_data');
    expect(decodeTextResult(call(dir, '0x95d89b41'))).toEqual({ ok: true, value: 'ETH', encoding: 'string' });
    expect(decodeTextResult(call(dir, '0x06fdde03'))).toEqual({ ok: true, value: 'ETH', encoding: 'string' });
  });

  it('a contract returning empty strings and zero decimals', () => {
    const dir = etlPath('test_stream', 'blocks_2112234_2112234');
    expect(decodeTextResult(call(dir, '0x95d89b41'))).toEqual({ ok: false, reason: 'blank' });
    expect(decodeDecimalsResult(call(dir, '0x313ce567'))).toMatchObject({ ok: true, value: 0 });
  });
});
