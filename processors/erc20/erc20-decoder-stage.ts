import type { LogBatch, TokenMetadata as TokenMetadataRecord } from '../../schemas/generated/types.ts';
import type { TopicName } from '../../schemas/topics.ts';
import type { StageSpec } from '../engine/stage.ts';
import type { TopologyParameters } from '../aggregates/window-stage.ts';
import {
  createErc20DecoderProcessor,
  type Erc20DecoderInput,
  type Erc20DecoderOutput,
  type Erc20DecoderStores,
} from './erc20-decoder.ts';
import { TokenTable } from './token-metadata.ts';
import { DEFAULT_HOP_PARTITIONS } from './transfer-batch.ts';

/** The `erc20-decoder` stage: `eth.logs.raw` (and the token metadata table) → transfers, batches, rejects. */
export function erc20DecoderStage(
  params: TopologyParameters = {},
): StageSpec<Erc20DecoderStores, Erc20DecoderInput, Erc20DecoderOutput> {
  const hopPartitions = params.hopPartitions ?? DEFAULT_HOP_PARTITIONS;
  const tokens = new TokenTable();
  return {
    name: 'erc20-decoder',
    inputTopic: 'eth.logs.raw',
    processor: createErc20DecoderProcessor({ hopPartitions, tokens }),
    toInputs: (value) => [{ kind: 'logs', batch: value as LogBatch }],
    toAvro: (output) => ({ topic: output.topic as TopicName, key: output.key, value: output.value }),
    globals: [{ topic: 'erc20.tokens', apply: (value) => tokens.add(value as TokenMetadataRecord) }],
    assumedPartitions: {
      'erc20.transfer-batches.by-token': hopPartitions.byToken,
      'erc20.transfer-batches.by-address': hopPartitions.byAddress,
    },
    kafkaTopics: params.kafkaTopics,
  };
}
