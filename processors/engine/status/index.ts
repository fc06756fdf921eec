// Public surface of processors/engine/status/: explicit re-exports only.
export {
  HEARTBEAT_VERSION,
  startHeartbeat,
  workerStatusTopic,
  workerStatusTopicName,
  type Heartbeat,
  type HeartbeatError,
  type PartitionHeartbeat,
  type SinkHeartbeat,
  type StageHeartbeat,
  type StartHeartbeatParameters,
  type WorkerHeartbeat,
} from './heartbeat.ts';
export {
  collectStatus,
  decodeAssignment,
  formatStatus,
  readHeartbeats,
  type CollectStatusParameters,
  type GroupStatus,
  type MemberStatus,
  type PartitionLag,
  type StatusReport,
  type WorkerStatus,
} from './status.ts';
export { collectDeadLetters, formatDeadLetters, type DeadLetterCount, type DeadLettersStatus } from './dead-letters.ts';
export {
  collectTransfersOnly,
  formatTransfersOnly,
  type TransfersOnlyRange,
  type TransfersOnlyStatus,
} from './transfers-only.ts';
