import { readFile } from 'node:fs/promises';

/** Resident set size of a process (VmRSS from /proc/<pid>/status), in MiB; null when gone or /proc is absent. */
export async function rssMiB(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

export interface RssSeries {
  readonly label: string;
  readonly samples: number[];
  readonly first: number | null;
  readonly max: number | null;
  readonly last: number | null;
}

/** Samples a process's RSS every `intervalMs` (default 1 s) until stopped. */
export function sampleRss(pid: number, label: string, intervalMs = 1000): { stop(): Promise<RssSeries> } {
  const samples: number[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  const take = (): void => {
    inFlight = rssMiB(pid).then((v) => {
      if (v !== null) samples.push(v);
    });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      return {
        label,
        samples,
        first: samples[0] ?? null,
        max: samples.length > 0 ? Math.max(...samples) : null,
        last: samples.at(-1) ?? null,
      };
    },
  };
}
