import { describe, expect, it } from 'vitest';
import type { Log, LogBatch, TokenMetadata } from '../../schemas/generated/types.ts';
import type { Processor, ProcessResult } from '../engine/processor.ts';
import type { StoreSpec } from '../engine/state.ts';
import { createTestDriver } from '../engine/testDriver.ts';
import {
  createErc20DecoderProcessor,
  type CreateErc20DecoderProcessorParameters,
  type Erc20DecoderInput,
  type Erc20DecoderOutput,
  type Erc20DecoderStores,
} from './erc20-decoder.ts';
import { createReferenceErc20DecoderProcessor } from './testing/reference-erc20-decoder.ts';
import { TRANSFER_TOPIC } from './transfer-event.ts';
import { xorshift32 } from '../../core/xorshift.ts';

/**
 * The tuned erc20-decoder against the straightforward reference (testing/reference-erc20-decoder.ts) on random
 * streams: every call's state changes and outputs must be the same, field for field and in the same order (JSON text
 * compared, so key order counts too), and a call that throws must throw the same error.
 */

type Decoder = Processor<Erc20DecoderStores, Erc20DecoderInput, Erc20DecoderOutput>;
type Outcome = { readonly result: ProcessResult<Erc20DecoderStores, Erc20DecoderOutput> } | { readonly error: string };

/** A processor that runs both on the same state, checks they agree, and goes on with the reference's result. */
function bothAgreeing(tuned: Decoder, reference: Decoder): Decoder & { calls: number; seen: Set<string> } {
  const run = (p: Decoder, ...args: Parameters<Decoder['process']>): Outcome => {
    try {
      return { result: p.process(...args) };
    } catch (e) {
      return { error: `${(e as Error).name}: ${(e as Error).message}` };
    }
  };
  const pair: Decoder & { calls: number; seen: Set<string> } = {
    ...reference,
    calls: 0,
    /** What the calls covered: `<topic>:<kind>` of each output, `legs:<legs>` of address rows, `error`. */
    seen: new Set(),
    process(state, record, ctx) {
      const expected = run(reference, state, record, ctx);
      const actual = run(tuned, state, record, ctx);
      expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
      expect(actual).toStrictEqual(expected);
      pair.calls++;
      if ('error' in expected) {
        pair.seen.add('error');
        throw new Error(expected.error);
      }
      for (const o of expected.result.outputs) {
        pair.seen.add(`${o.topic}:${o.value.kind}`);
        if ('legs' in o.value) for (const legs of o.value.legs) pair.seen.add(`legs:${legs}`);
      }
      return expected.result;
    },
  };
  return pair;
}

// ---- a seeded random stream of block parts, reorgs, finalize records and token rows ----

const hex = (n: number | bigint, width: number): string => n.toString(16).padStart(width, '0');
const ZERO_WORD = '0x' + '0'.repeat(64);

function streamOf(seed: number, blocks: number): Erc20DecoderInput[] {
  const rand = xorshift32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const chance = (p: number): boolean => rand() < p;
  // Tokens: known with valid decimals, decimals 0 and 255, null or out-of-range decimals, a null symbol, a mixed-case
  // address, and some never described.
  const tokens = ['0x' + 'a1'.repeat(20), '0x' + 'b2'.repeat(20), '0x' + 'c3'.repeat(20), '0x' + 'd4'.repeat(20)];
  tokens.push('0xAbCdEf' + 'e5'.repeat(17), '0x' + hex(0xfeed, 40), '0x' + hex(7, 40));
  const decimalsChoices: (number | null)[] = [18, 6, 8, 0, 255, null, 300, -1, 2.5];
  const addresses = Array.from({ length: 40 }, (_, i) => hex(0x1000 + i * 7919, 40));
  const address = (): string => (chance(0.05) ? '0'.repeat(40) : pick(addresses));
  const word = (a: string): string => '0x' + '0'.repeat(24) + a;
  const amount = (): bigint =>
    chance(0.1)
      ? pick([0n, 1n, 2n ** 256n - 1n, 2n ** 255n, 10n ** 18n, 10n ** 77n])
      : BigInt(Math.floor(rand() * 2 ** 40)) * 10n ** BigInt(Math.floor(rand() * 30));
  const upper = (s: string): string => (chance(0.05) ? '0x' + s.slice(2).toUpperCase() : s);

  const logOf = (txIndex: number, logIndex: number): Log => {
    const token = pick(tokens);
    const from = address();
    const to = chance(0.05) ? from : address();
    const value = amount();
    const r = rand();
    let topics: string[];
    let data: string;
    if (r < 0.55) {
      topics = [upper(TRANSFER_TOPIC), upper(word(from)), upper(word(to))];
      data = upper('0x' + hex(value, 64));
    } else if (r < 0.62) {
      // legacy: nothing indexed
      topics = [TRANSFER_TOPIC];
      data = '0x' + '0'.repeat(24) + from + '0'.repeat(24) + to + hex(value, 64);
    } else if (r < 0.8) {
      topics = [pick(['0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925', ZERO_WORD]), word(from)];
      data = '0x' + hex(value, 64);
    } else {
      // Transfer-topic logs that are not ERC-20 transfers, one per reject reason, and a log without topics.
      const shapes: (() => [string[], string])[] = [
        () => [[TRANSFER_TOPIC, word(from), word(to), '0x' + hex(value, 64)], '0x'],
        () => [[TRANSFER_TOPIC, word(from)], '0x' + hex(value, 64)],
        () => [[TRANSFER_TOPIC, word(from), word(to), ZERO_WORD, ZERO_WORD], '0x'],
        () => [[TRANSFER_TOPIC, word(from), word(to)], '0x' + hex(value, 62)],
        () => [[TRANSFER_TOPIC, '0x' + 'ff'.repeat(12) + from, word(to)], '0x' + hex(value, 64)],
        () => [[TRANSFER_TOPIC, word(from), 'nothex'], '0x' + hex(value, 64)],
        () => [[TRANSFER_TOPIC], '0x' + 'ff'.repeat(12) + from + '0'.repeat(24) + to + hex(value, 64)],
        () => [[TRANSFER_TOPIC, word(from), word(to)], '0xzz' + hex(value, 62)],
        () => [[], '0x'],
      ];
      [topics, data] = pick(shapes)();
    }
    return {
      tx_hash: ('0x' + hex(Math.floor(rand() * 1e9), 64)) as Log['tx_hash'],
      tx_index: txIndex,
      log_index: logIndex,
      address: token as Log['address'],
      topics: topics as Log['topics'],
      data: data as Log['data'],
    };
  };

  const tokenRow = (chainId: number): Erc20DecoderInput => ({
    kind: 'token',
    token: {
      chain_id: chainId,
      address: pick(tokens) as TokenMetadata['address'],
      symbol: chance(0.2) ? null : pick(['TKN', 'USDC', 'Ünï', '']),
      name: null,
      decimals: pick(decimalsChoices),
      source: pick(['seed', 'rpc'] as const),
      symbol_encoding: null,
      fetched_at: 0,
      version: 1,
    },
  });

  const inputs: Erc20DecoderInput[] = [];
  const published: LogBatch[] = [];
  let version = 1;
  for (const chainId of [1, 10]) inputs.push(tokenRow(chainId), tokenRow(chainId), tokenRow(chainId));
  for (let n = 0; n < blocks; n++) {
    const chainId = chance(0.9) ? 1 : 10;
    const number = 1000 + n - (chance(0.1) ? 1 : 0);
    const hash = ('0x' + hex(number, 56) + hex(Math.floor(rand() * 2 ** 32), 8)) as LogBatch['block_hash'];
    const parts = chance(0.15) ? 2 : 1;
    let logIndex = 0;
    for (let part = 0; part < parts; part++) {
      const count = Math.floor(rand() * (chance(0.1) ? 60 : 12));
      const logs: Log[] = [];
      let txIndex = Math.floor(rand() * 3);
      for (let i = 0; i < count; i++) {
        if (chance(0.3)) txIndex++;
        logs.push(logOf(txIndex, logIndex++));
      }
      const batch: LogBatch = {
        kind: 'block',
        chain_id: chainId,
        block_number: number,
        block_hash: hash,
        block_timestamp: 1_700_000_000_000 + number * 12_000,
        checkpoint: '',
        version: version++,
        observed_at: 0,
        part,
        parts,
        logs,
      };
      inputs.push({ kind: 'logs', batch });
      published.push(batch);
      // At-least-once delivery: the same part again.
      if (chance(0.05)) inputs.push({ kind: 'logs', batch });
    }
    if (chance(0.1)) inputs.push(tokenRow(chainId));
    if (chance(0.08) && published.length > 0) {
      // A reorg of a recent block (sometimes one already pruned or never seen), then maybe its re-ingestion.
      const orphan = chance(0.9) ? pick(published.slice(-20)) : { ...pick(published), block_hash: hash };
      inputs.push({ kind: 'logs', batch: { ...orphan, kind: 'reorg', logs: [], version: version++, part: 0, parts: 1 } });
      if (chance(0.3)) inputs.push({ kind: 'logs', batch: { ...orphan, version: version++ } });
    }
    if (chance(0.03)) {
      const last = published[published.length - 1]!;
      inputs.push({ kind: 'logs', batch: { ...last, kind: 'finalize', block_number: number - 5, logs: [], version: version++ } });
    }
  }
  return inputs;
}

function runBoth(inputs: readonly Erc20DecoderInput[], params: CreateErc20DecoderProcessorParameters = {}): Set<string> {
  const pair = bothAgreeing(createErc20DecoderProcessor(params), createReferenceErc20DecoderProcessor(params));
  const driver = createTestDriver(pair);
  // The reference alone over stores without the in-memory segment hints: the hints must not change what is stored.
  const reference = createReferenceErc20DecoderProcessor(params);
  const plain = createTestDriver({
    ...reference,
    stores: {
      reject_counts: unhinted(reference.stores.reject_counts),
      recent: unhinted(reference.stores.recent),
    },
  });
  for (const input of inputs) {
    for (const d of [driver, plain]) {
      try {
        d.pipe(input);
      } catch {
        // Both threw the same error (checked in bothAgreeing); the runtime would dead-letter the record.
      }
    }
  }
  for (const store of ['reject_counts', 'recent'] as const)
    expect(JSON.stringify(driver.store(store).entries())).toBe(JSON.stringify(plain.store(store).entries()));
  expect(pair.calls).toBe(inputs.length);
  return pair.seen;
}

function unhinted<V>(spec: StoreSpec<V>): StoreSpec<V> {
  return { codec: spec.codec, doc: spec.doc };
}

describe('erc20-decoder equals the straightforward reference', () => {
  it.each([
    [1, {}],
    [2, { hopPartitions: { byToken: 6, byAddress: 6 } }],
    [3, { hopPartitions: { byToken: 1, byAddress: 1 } }],
    [4, { hopPartitions: { byToken: 7, byAddress: 3 }, recentDepth: 4 }],
    [5, { recentDepth: 1 }],
  ] satisfies [number, CreateErc20DecoderProcessorParameters][])(
    'on random blocks, rejects, duplicates, reorgs, finalize and token rows (seed %i)',
    (seed, params) => {
      const seen = runBoth(streamOf(seed, 400), params);
      for (const topic of ['erc20.transfers', 'erc20.transfer-batches.by-token', 'erc20.transfer-batches.by-address'])
        for (const kind of ['transfer', 'retraction']) expect(seen).toContain(`${topic}:${kind}`);
      expect(seen).toContain('erc20.rejects:rejection');
      expect(seen).toContain('erc20.rejects:retraction');
      expect(seen).toContain('legs:in');
      expect(seen).toContain('legs:out');
      expect(seen).toContain('legs:both');
    },
  );

  it('throws the same error for a log position that does not fit a checkpoint (or decodes the same when it does)', () => {
    const [first] = streamOf(9, 1).filter((i) => i.kind === 'logs' && i.batch.logs.length > 0) as {
      kind: 'logs';
      batch: LogBatch;
    }[];
    expect(first).toBeDefined();
    const batch = first!.batch;
    const broken = (patch: Partial<LogBatch>, log: Partial<Log> = {}): Erc20DecoderInput => ({
      kind: 'logs',
      batch: { ...batch, ...patch, logs: batch.logs.map((l, i) => (2 * i >= batch.logs.length ? { ...l, ...log } : l)) },
    });
    const inputs: Erc20DecoderInput[] = [
      broken({}, { tx_index: 1e11 }),
      broken({}, { log_index: -1 }),
      broken({}, { log_index: 1.5 }),
      broken({ block_timestamp: 1e14 }),
      broken({ chain_id: -1 }),
      broken({ block_number: 2 ** 53 }),
    ];
    // 2^53 still fits 16 digits: that one goes through encodeCheckpoint and decodes.
    expect(runBoth(inputs)).toContain('error');
  });
});
