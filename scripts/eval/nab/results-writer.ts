/**
 * Writes detector scores in NAB's results layout,
 * <dir>/<detector>/<category>/<detector>_<file>.csv with columns
 * timestamp,value,anomaly_score,label, so NAB's own scorer can re-check them.
 * Numbers are written with JavaScript's shortest round-trip form: NAB reads
 * back exactly the floats that were scored here.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DetectorRun } from './score-corpus.ts';

export function resultCsv(run: DetectorRun): string {
  const { series, scores } = run;
  const label = new Uint8Array(series.values.length);
  for (const w of series.windows) label.fill(1, w.start, w.end + 1);
  const lines = ['timestamp,value,anomaly_score,label'];
  series.values.forEach((x, i) => lines.push(`${series.timestamps[i]},${x},${scores[i]},${label[i]}`));
  return `${lines.join('\n')}\n`;
}

/** Writes one CSV per series; returns the paths written. */
export async function writeNabResults(dir: string, detector: string, runs: readonly DetectorRun[]): Promise<string[]> {
  const paths: string[] = [];
  for (const run of runs) {
    const folder = join(dir, detector, run.series.category);
    await mkdir(folder, { recursive: true });
    const path = join(folder, `${detector}_${run.series.name}.csv`);
    await writeFile(path, resultCsv(run));
    paths.push(path);
  }
  return paths;
}
