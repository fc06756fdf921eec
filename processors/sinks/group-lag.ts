import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { SinkCatchUpTimeoutError } from './errors.ts';
import { tpKey } from './sink-buffer.ts';

export interface CatchUpTarget {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** For the timeout error. */
  readonly stage: string;
  readonly table: string;
}

/**
 * Records the group has not committed yet, over every partition of `topics` (a partition without a commit counts
 * from its low watermark); `undefined` when the brokers answered with a retriable error (leaders moving,
 * coordinator loading).
 */
export async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<bigint | undefined> {
  let ends: { topic: string; partitions: Awaited<ReturnType<Admin['fetchTopicOffsets']>> }[];
  let groupOffsets: Awaited<ReturnType<Admin['fetchOffsets']>>;
  try {
    [ends, groupOffsets] = await Promise.all([
      Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) }))),
      admin.fetchOffsets({ groupId, topics: [...topics] }),
    ]);
  } catch (error) {
    if ((error as { retriable?: boolean }).retriable !== true) throw error;
    return undefined;
  }
  const committedBy = new Map(
    groupOffsets.flatMap((g) => g.partitions.map((p) => [tpKey(g.topic, p.partition), BigInt(p.offset)] as const)),
  );
  let lag = 0n;
  for (const { topic, partitions } of ends) {
    for (const end of partitions) {
      const at = committedBy.get(tpKey(topic, end.partition)) ?? -1n;
      const position = at < 0n ? BigInt(end.low) : at;
      const high = BigInt(end.high);
      if (high > position) lag += high - position;
    }
  }
  return lag;
}

/** Polls {@link groupLag} until it is 0; throws SinkCatchUpTimeoutError after `timeoutMs`. */
export async function waitForGroupCatchUp(
  admin: Admin,
  target: CatchUpTarget,
  { timeoutMs, pollMs }: { timeoutMs: number; pollMs: number },
): Promise<void> {
  const { groupId, topics } = target;
  const deadline = Date.now() + timeoutMs;
  let lag = -1n;
  while (Date.now() < deadline) {
    const current = await groupLag(admin, groupId, topics);
    if (current === 0n) return;
    if (current !== undefined) lag = current;
    await sleep(pollMs);
  }
  throw new SinkCatchUpTimeoutError(`sink ${target.stage} did not catch up with ${topics.join(', ')} within ${timeoutMs} ms`, {
    details: { topic: topics[0], table: target.table, group_id: groupId, lag: lag.toString() },
  });
}
