/**
 * Worker thread of the block source (started by prepare-pool.ts through prepare-worker-entry.mjs):
 * fetches, normalises and Avro-encodes the batches its parent asks for, and posts them back packed.
 * JSON parsing and Avro encoding are most of a block's CPU; here they run beside the parent's Kafka work.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { errorCode, isRetryable, OraculError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/logger.ts';
import { createFrameEncoder, readAvroSchema, schemaNameOf, subjectOf, type TopicName } from '../../../schemas/index.ts';
import { createBlockFetcher } from '../fetch/block-fetcher.ts';
import type { RawTopicEncoders } from '../publish/encoded-block.ts';
import { createRpcClient } from '../rpc/rpc-client.ts';
import { packBatch } from './packed-batch.ts';
import { prepareRange } from './prepare-range.ts';
import type { PrepareReply, PrepareRequest, PrepareWorkerInit, RpcStatsDelta, SerializedError } from './worker-protocol.ts';

const port = parentPort!;
const init = workerData as PrepareWorkerInit;
const post = (reply: PrepareReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

const logger: Logger = pino(
  { level: init.logLevel, base: { component: 'block-source-worker', chain: init.chain } },
  { write: (line: string) => post({ type: 'log', line }) },
);

const rpc = createRpcClient({ chain: init.chain, endpoints: init.endpoints, defaults: init.rpc, logger });
const fetcher = createBlockFetcher({
  rpc,
  chainId: init.chainId,
  strategy: init.strategy,
  maxLogsRange: init.maxLogsRange,
  logger,
});
const encoderOf = <N extends TopicName>(topic: N, schemaId: number) =>
  createFrameEncoder({ topic, subject: subjectOf(topic), schema: readAvroSchema(schemaNameOf(topic)), schemaId });
const encoders = {
  blocks: encoderOf('eth.blocks.raw', init.schemaIds.blocks),
  transactions: encoderOf('eth.transactions.raw', init.schemaIds.transactions),
  logs: encoderOf('eth.logs.raw', init.schemaIds.logs),
} as RawTopicEncoders;

let reported: RpcStatsDelta = { calls: 0, httpRequests: 0, retries: 0 };
const rpcDelta = (): RpcStatsDelta => {
  const { calls, httpRequests, retries } = rpc.stats;
  const delta = {
    calls: calls - reported.calls,
    httpRequests: httpRequests - reported.httpRequests,
    retries: retries - reported.retries,
  };
  reported = { calls, httpRequests, retries };
  return delta;
};

function serializeError(error: unknown): SerializedError {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    name: e.name,
    message: e.message,
    code: errorCode(error),
    retryable: isRetryable(error),
    details: error instanceof OraculError ? error.details : {},
  };
}

port.on('message', (request: PrepareRequest) => {
  prepareRange({ fetcher, encoders, from: request.from, to: request.to, versionBase: request.versionBase }).then(
    (batch) => {
      const packed = packBatch(batch);
      post({ type: 'prepared', id: request.id, batch: packed, rpc: rpcDelta() }, [packed.bytes]);
    },
    (error: unknown) => post({ type: 'failed', id: request.id, error: serializeError(error), rpc: rpcDelta() }),
  );
});
