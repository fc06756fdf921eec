/**
 * Pipeline health findings for alerts. Consumer lag: for every consumer group (or the listed ones), the sum over
 * partitions of (high watermark − committed offset) per topic; a group/topic above the threshold is a bad finding.
 * Other findings (ingestion lag, crash-looping workers) use the same PipelineFinding shape: DQ freshness already
 * reports ingestion lag through dq.checks.
 */
import type { Admin } from 'kafkajs';
import type { PipelineFinding } from './format.ts';

export async function consumerLagFindings(
  admin: Admin,
  threshold: number,
  groupIds?: readonly string[],
): Promise<PipelineFinding[]> {
  const groups = groupIds ?? (await admin.listGroups()).groups.map((g) => g.groupId);
  const findings: PipelineFinding[] = [];
  const highs = new Map<string, Map<number, bigint>>();
  const highOf = async (topic: string): Promise<Map<number, bigint>> => {
    let m = highs.get(topic);
    if (m === undefined) {
      m = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
      highs.set(topic, m);
    }
    return m;
  };
  // kafkajs asks the coordinator for the listed topics only: list them all, then keep those the group committed to.
  const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
  for (const groupId of groups) {
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
      if (partitions.every((p) => BigInt(p.offset) < 0n)) continue; // never consumed by this group
      const high = await highOf(topic);
      let lag = 0n;
      const perPartition: Record<string, string> = {};
      for (const p of partitions) {
        const h = high.get(p.partition) ?? 0n;
        const committed = BigInt(p.offset);
        const l = committed < 0n ? h : h > committed ? h - committed : 0n;
        lag += l;
        if (l > 0n) perPartition[String(p.partition)] = l.toString();
      }
      findings.push({
        check: 'consumer_lag',
        subject: `${groupId}/${topic}`,
        ok: lag <= BigInt(threshold),
        observed: Number(lag),
        threshold,
        details: JSON.stringify({ group: groupId, topic, lag_by_partition: perPartition }),
      });
    }
  }
  return findings;
}
