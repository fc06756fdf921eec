import { performance } from 'node:perf_hooks';
import type { Admin } from 'kafkajs';
import type { AnyStageSpec } from '../../processors/engine/stage.ts';
import { consumerGroupOf } from '../../processors/engine/streamWorker.ts';

/** The share of the stages' input offsets their groups have committed, at a time since the workers started. */
export interface ProgressSample {
  readonly atS: number;
  readonly share: number;
}

export interface ProgressSummary {
  /** Seconds until the first committed offset: start-up, group join, global tables, restores. */
  readonly firstCommitS: number | null;
  /** Seconds between 10 % and 90 % of the input committed: the steady part of the run. */
  readonly steadyS: number | null;
}

/**
 * Samples every `intervalMs` how much of their input the stages' consumer groups have committed, so a benchmark can
 * tell start-up from throughput (a short run's window is mostly start-up). Offsets include transaction markers: a
 * share, not a record count.
 */
export function sampleStageProgress(
  admin: Admin,
  appId: string,
  stages: readonly AnyStageSpec[],
  startedMs: number,
  intervalMs = 250,
): { stop(): Promise<ProgressSummary> } {
  const samples: ProgressSample[] = [];
  let running = true;
  // A failed sample (e.g. the broker went away) ends the sampling and surfaces in stop(): a rejection nobody awaits
  // yet would crash the bench past its clean-up and leave its worker processes running.
  const loop = (async () => {
    while (running) {
      samples.push({ atS: (performance.now() - startedMs) / 1000, share: await committedShare(admin, appId, stages) });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  loop.catch(() => undefined);
  return {
    async stop() {
      running = false;
      await loop;
      return summarize(samples);
    },
  };
}

async function committedShare(admin: Admin, appId: string, stages: readonly AnyStageSpec[]): Promise<number> {
  let committed = 0;
  let total = 0;
  for (const stage of stages) {
    const [ends, offsets] = await Promise.all([
      admin.fetchTopicOffsets(stage.inputTopic),
      admin.fetchOffsets({ groupId: consumerGroupOf(appId, stage.name), topics: [stage.inputTopic] }),
    ]);
    const byPartition = new Map((offsets[0]?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    for (const end of ends) {
      total += Number(end.high);
      committed += Math.min(Number(end.high), byPartition.get(end.partition) ?? 0);
    }
  }
  return total === 0 ? 0 : committed / total;
}

export function summarize(samples: readonly ProgressSample[]): ProgressSummary {
  const firstAt = (share: number): number | undefined => samples.find((s) => s.share >= share)?.atS;
  const first = samples.find((s) => s.share > 0)?.atS;
  const [t10, t90] = [firstAt(0.1), firstAt(0.9)];
  return {
    firstCommitS: first ?? null,
    steadyS: t10 === undefined || t90 === undefined || t90 <= t10 ? null : t90 - t10,
  };
}
