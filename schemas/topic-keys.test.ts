import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartitioner, partitionOfKey } from './topic-keys.ts';

/** kafkajs' default partitioner (what our producers use) for a keyed record on a topic of `n` partitions. */
function kafkajsPartitionOf(key: string, n: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('partitionOfKey', () => {
  it('is the partition kafkajs writes a keyed record to, for random keys of every length and script', () => {
    let seed = 11;
    const random = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    const alphabet = ['0', 'a', 'f', ':', 'x', 'é', '€', '𝄞', '\u0000', '\u00ff'];
    for (let i = 0; i < 3_000; i++) {
      let key = '';
      for (let j = random(70); j > 0; j--) key += alphabet[random(alphabet.length)];
      const n = 1 + random(12);
      expect(partitionOfKey(key, n)).toBe(kafkajsPartitionOf(key, n));
    }
    // Entity keys as the hops use them.
    const entity = `1:0x${'ab'.repeat(20)}:0x${'cd'.repeat(20)}`;
    for (const n of [1, 3, 6, 32]) expect(partitionOfKey(entity, n)).toBe(kafkajsPartitionOf(entity, n));
  });
});

describe('keyPartitioner', () => {
  it('routes keyed records like kafkajs, and keeps explicit partitions', () => {
    const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    const ours = keyPartitioner();
    for (const key of ['1:0xabc', 'é', '', Buffer.from('1:0xdef')].map(String)) {
      expect(ours({ topic: 't', partitionMetadata, message: { key, value: null } })).toBe(kafkajsPartitionOf(key, 6));
    }
    expect(ours({ topic: 't', partitionMetadata, message: { key: 'k', partition: 4, value: null } })).toBe(4);
    const keyless = ours({ topic: 't', partitionMetadata, message: { key: null, value: null } });
    expect(keyless).toBeGreaterThanOrEqual(0);
    expect(keyless).toBeLessThan(6);
  });
});
