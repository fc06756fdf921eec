import { corruptPart, frame, KIND_TASK_IDS, unframe } from './checkpoint-frame.ts';
import { HexInterner } from './hex-interner.ts';

/** Dictionaries shared by every day of a task: ids never leave it (outputs carry the strings). */
export interface TaskIds {
  readonly addresses: HexInterner;
  readonly tokens: HexInterner;
}

export function createTaskIds(expectedAddresses = 4096): TaskIds {
  return { addresses: new HexInterner(20, expectedAddresses), tokens: new HexInterner(20) };
}

/** How many ids each dictionary holds: where the next {@link encodeTaskIdsDelta} starts. */
export interface TaskIdsSizes {
  readonly addresses: number;
  readonly tokens: number;
}

export function taskIdsSizes(ids: TaskIds): TaskIdsSizes {
  return { addresses: ids.addresses.size, tokens: ids.tokens.size };
}

/**
 * The ids added since `from` (the sizes at the previous delta; zeros for all of them) as a checkpoint container.
 * Encode outside open batches: a rollback would take back ids the bytes already carry.
 */
export function encodeTaskIdsDelta(ids: TaskIds, from: TaskIdsSizes): Uint8Array {
  return frame(KIND_TASK_IDS, 0, 0, [ids.addresses.encodeFrom(from.addresses), ids.tokens.encodeFrom(from.tokens)]);
}

/**
 * Appends a delta of {@link encodeTaskIdsDelta}: they apply in order, each starting at the current sizes. All or nothing.
 * @throws DayStateCorruptError on bytes that are no such delta, or one that does not start at the current sizes.
 */
export function applyTaskIdsDelta(ids: TaskIds, bytes: Uint8Array): void {
  const [addresses, tokens] = unframe(bytes, KIND_TASK_IDS, 'task ids delta').sections as [Uint8Array, Uint8Array];
  const before = taskIdsSizes(ids);
  try {
    ids.addresses.appendEncoded(addresses);
    ids.tokens.appendEncoded(tokens);
  } catch (error) {
    truncateTo(ids.addresses, before.addresses);
    throw corruptPart(error, 'task ids delta');
  }
}

/** Truncates an interner to `size` unless it holds fewer keys already. */
export function truncateTo(interner: HexInterner, size: number): void {
  if (interner.size > size) interner.truncate(size);
}
