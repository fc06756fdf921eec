import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastLines, readLogTail, sinceLastBanner } from './log-tail.ts';

describe('lastLines', () => {
  it('returns the last n lines without the empty one after a final newline', () => {
    expect(lastLines('a\nb\nc\n', 2)).toEqual(['b', 'c']);
    expect(lastLines('a\r\nb', 5)).toEqual(['a', 'b']);
    expect(lastLines('', 3)).toEqual([]);
    expect(lastLines('a\nb', 0)).toEqual([]);
  });
});

describe('readLogTail', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oracul-log-tail-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives no lines for a missing file', async () => {
    expect(await readLogTail(join(dir, 'missing.log'))).toEqual([]);
  });

  it('reads only the end of a large file and drops the partial first line', async () => {
    const file = join(dir, 'big.log');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    await writeFile(file, `${lines.join('\n')}\n`);
    const tail = await readLogTail(file, 40, 4096);
    expect(tail).toHaveLength(40);
    expect(tail.at(-1)).toBe(lines.at(-1));
    expect(tail[0]).toBe(lines[lines.length - 40]);
  });

  it('returns every line of a short file', async () => {
    const file = join(dir, 'short.log');
    await writeFile(file, 'one\ntwo\n');
    expect(await readLogTail(file, 40)).toEqual(['one', 'two']);
  });
});

describe('sinceLastBanner', () => {
  it('keeps the current run only', () => {
    expect(sinceLastBanner(['old', '== run 1', 'a', '== run 2', 'b'], '== run')).toEqual(['== run 2', 'b']);
    expect(sinceLastBanner(['a', 'b'], '== run')).toEqual(['a', 'b']);
  });
});
