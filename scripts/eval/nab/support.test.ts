import { describe, expect, it } from 'vitest';
import type { NabSeries } from './corpus.ts';
import { assignFolds } from './cross-validation.ts';
import { parseCsv, parseNumber } from './csv.ts';
import { NabDataError } from './errors.ts';
import { resultCsv } from './results-writer.ts';
import { parseNabTimestamp } from './run-detector.ts';

const series = (key: string, windows: NabSeries['windows'] = []): NabSeries => ({
  key,
  category: key.split('/')[0] as string,
  name: (key.split('/')[1] as string).replace('.csv', ''),
  timestamps: ['2014-04-01 00:00:00', '2014-04-01 00:05:00', '2014-04-01 00:10:00'],
  values: [1.5, 2, 3],
  windows,
});

describe('NAB support modules', () => {
  it('parses simple CSV and rejects malformed rows with a typed error', () => {
    expect(parseCsv('a,b\n1,2\n', 'x')).toEqual({ header: ['a', 'b'], rows: [['1', '2']] });
    expect(() => parseCsv('a,b\n1\n', 'x')).toThrow(NabDataError);
    expect(() => parseNumber('abc', 'x')).toThrow(NabDataError);
  });

  it('reads NAB timestamps as UTC', () => {
    expect(parseNabTimestamp('2014-04-01 00:05:00')).toBe(Date.UTC(2014, 3, 1, 0, 5));
    expect(() => parseNabTimestamp('yesterday')).toThrow(NabDataError);
  });

  it('writes NAB result rows with labels inside windows', () => {
    const csv = resultCsv({ series: series('cat/f.csv', [{ start: 1, end: 2 }]), scores: [0, 0.25, 1] });
    expect(csv).toBe(
      'timestamp,value,anomaly_score,label\n2014-04-01 00:00:00,1.5,0,0\n2014-04-01 00:05:00,2,0.25,1\n2014-04-01 00:10:00,3,1,1\n',
    );
  });

  it('splits files into two folds alternating within each category', () => {
    const folds = assignFolds(['a/1.csv', 'a/2.csv', 'a/3.csv', 'b/1.csv', 'b/2.csv'].map((k) => series(k)));
    expect([...folds.entries()]).toEqual([
      ['a/1.csv', 0],
      ['a/2.csv', 1],
      ['a/3.csv', 0],
      ['b/1.csv', 0],
      ['b/2.csv', 1],
    ]);
  });
});
