import { NonRetryableError } from '../../../core/errors.ts';
import { PairsCorruptError } from './counted-pairs.ts';
import { InternerCorruptError } from './hex-interner.ts';
import { LegLogCorruptError } from './leg-log.ts';
import { RowTableCorruptError } from './row-table.ts';

/** Checkpoint bytes a day (or a task's dictionaries) cannot be restored from; `cause` is the part's own error. */
export class DayStateCorruptError extends NonRetryableError {
  override readonly name = 'DayStateCorruptError';
  constructor(reason: string, details: Record<string, unknown>, cause?: unknown) {
    super('ORACUL_DAY_STATE_CORRUPT', `day state checkpoint: ${reason}`, { details, cause });
  }
}

/*
 * Checkpoint container, little-endian:
 *   u32 magic 0x4c4f434f ("OCOL")   u16 version 2   u16 kind (1 day snapshot, 2 day delta, 3 task ids delta)
 *   f64 windowStartMs (0 for task ids)   u32 sequence (1, 2, … per day; 0 for task ids)   u32 section count
 *   per section: u32 length, then that many bytes (a part's own encoding)
 * A day's sections: rows (RowTable snapshot or delta), legs (LegLog.encodeFrom: the whole log in a snapshot, its tail
 * in a delta), transaction pairs, counterparty pairs (CountedPairs snapshot or changes), transactions
 * (HexInterner.encodeFrom). Task ids: addresses, tokens (HexInterner.encodeFrom).
 * Version 2: a day's second section is the leg log (version 1 had a RowTable of buckets per (row, event time) there).
 */
const MAGIC = 0x4c4f434f;
const VERSION = 2;
export const KIND_SNAPSHOT = 1;
export const KIND_DELTA = 2;
export const KIND_TASK_IDS = 3;
const SECTIONS: Readonly<Record<number, number>> = { [KIND_SNAPSHOT]: 5, [KIND_DELTA]: 5, [KIND_TASK_IDS]: 2 };
const FRAME_HEADER = 24;
export type Sections = [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];

export function frame(kind: number, windowStartMs: number, sequence: number, sections: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER + sections.reduce((sum, section) => sum + 4 + section.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, VERSION, true);
  view.setUint16(6, kind, true);
  view.setFloat64(8, windowStartMs, true);
  view.setUint32(16, sequence, true);
  view.setUint32(20, sections.length, true);
  let pos = FRAME_HEADER;
  for (const section of sections) {
    view.setUint32(pos, section.length, true);
    out.set(section, pos + 4);
    pos += 4 + section.length;
  }
  return out;
}

/** The header and sections (views into `bytes`) of a container of `kind`. */
export function unframe(
  bytes: Uint8Array,
  kind: number,
  part: string,
): { windowStartMs: number; sequence: number; sections: Uint8Array[] } {
  const corrupt = (reason: string, details: Record<string, unknown> = {}): DayStateCorruptError =>
    new DayStateCorruptError(`${part}: ${reason}`, { part, length: bytes.length, ...details });
  if (bytes.length < FRAME_HEADER) throw corrupt('shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [magic, version, found] = [view.getUint32(0, true), view.getUint16(4, true), view.getUint16(6, true)];
  if (magic !== MAGIC) throw corrupt(`magic ${magic.toString(16)}, not a columnar checkpoint`);
  if (version !== VERSION) throw corrupt(`version ${version}, expected ${VERSION}`, { version });
  if (found !== kind) throw corrupt(`kind ${found}, expected ${kind}`, { kind: found });
  const count = view.getUint32(20, true);
  if (count !== SECTIONS[kind]) throw corrupt(`${count} sections, expected ${SECTIONS[kind]}`);
  const sections: Uint8Array[] = [];
  let pos = FRAME_HEADER;
  for (let i = 0; i < count; i++) {
    if (pos + 4 > bytes.length) throw corrupt(`truncated before section ${i}`);
    const length = view.getUint32(pos, true);
    if (pos + 4 + length > bytes.length) throw corrupt(`section ${i} of ${length} bytes is truncated`);
    sections.push(bytes.subarray(pos + 4, pos + 4 + length));
    pos += 4 + length;
  }
  if (pos !== bytes.length) throw corrupt(`${bytes.length - pos} bytes after the last section`);
  return { windowStartMs: view.getFloat64(8, true), sequence: view.getUint32(16, true), sections };
}

/** A part's own corrupt error, as the day's (cause kept); anything else unchanged. */
export function corruptPart(error: unknown, part: string): unknown {
  if (
    error instanceof RowTableCorruptError ||
    error instanceof PairsCorruptError ||
    error instanceof InternerCorruptError ||
    error instanceof LegLogCorruptError
  )
    return new DayStateCorruptError(`${part}: ${error.message}`, { part, code: error.code }, error);
  return error;
}

export function restoring(part: string, apply: () => void): void {
  try {
    apply();
  } catch (error) {
    throw corruptPart(error, part);
  }
}
