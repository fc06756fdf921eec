import { describe, expect, it } from 'vitest';
import { jsonNumberToDecimal } from './decimal.ts';

describe('jsonNumberToDecimal', () => {
  it.each([
    ['3012.34', '3012.34'],
    ['1', '1'],
    ['0.000012', '0.000012'],
    ['1.2e-7', '0.00000012'],
    ['1.5E+3', '1500'],
    ['2e2', '200'],
    ['-0.10', '-0.1'],
    ['0.0', '0'],
    ['123456789012345678901234567890.123456789012345678901', '123456789012345678901234567890.123456789012345678901'],
  ])('%s → %s (exact, no float)', (input, expected) => {
    expect(jsonNumberToDecimal(input)).toBe(expected);
  });
  it('refuses what is not a JSON number', () => {
    expect(() => jsonNumberToDecimal('NaN')).toThrow(TypeError);
    expect(() => jsonNumberToDecimal('1,5')).toThrow(TypeError);
  });
});
