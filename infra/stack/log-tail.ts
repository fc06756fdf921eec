import { open } from 'node:fs/promises';

/** The last `count` lines of a text, without the trailing empty line a final newline makes. */
export function lastLines(text: string, count: number): string[] {
  if (count <= 0) return [];
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-count);
}

/**
 * Reads only the end of a log (JVM logs grow large): enough bytes for `count`
 * lines in practice. A missing file gives no lines, since the process may have
 * failed before writing anything.
 */
export async function readLogTail(file: string, count = 40, maxBytes = 64 * 1024): Promise<string[]> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    let text = buffer.toString('utf8');
    // A cut in the middle of the window leaves a partial first line: drop it.
    if (length < size) text = text.slice(text.indexOf('\n') + 1);
    return lastLines(text, count);
  } finally {
    await handle.close();
  }
}

/** The lines from the last one starting with `bannerPrefix` on (all lines when there is none). */
export function sinceLastBanner(lines: readonly string[], bannerPrefix: string): string[] {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]?.startsWith(bannerPrefix)) return lines.slice(i);
  return [...lines];
}
