import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readAnswerText } from './answer-text.ts';

describe('readAnswerText', () => {
  it('joins the chunks of an ASCII answer', async () => {
    const text = await readAnswerText(
      Readable.from([Buffer.from('0xab\t2026-01-01\t{"a":"1"}\n'), Buffer.from('0xab\t2026-01-02\t{}\n')]),
    );
    expect(text).toBe('0xab\t2026-01-01\t{"a":"1"}\n0xab\t2026-01-02\t{}\n');
  });

  it('decodes UTF-8, a character split between two chunks included', async () => {
    const bytes = Buffer.from('{"symbol":"Ξ€🦄"}\n', 'utf8');
    const cut = bytes.indexOf(0xe2) + 1; // inside the three bytes of €
    expect(await readAnswerText(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]))).toBe('{"symbol":"Ξ€🦄"}\n');
  });

  it('an empty answer is an empty string; a stream error rejects', async () => {
    expect(await readAnswerText(Readable.from([]))).toBe('');
    const failing = new Readable({ read: () => failing.destroy(new Error('socket hang up')) });
    await expect(readAnswerText(failing)).rejects.toThrow('socket hang up');
  });
});
