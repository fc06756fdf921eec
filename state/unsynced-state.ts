import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Task state is written without flushing to disk (ADR 0028): a commit's pages are in the kernel's page cache as soon
 * as LMDB's write transaction ends, so they survive any crash of the process (`kill -9` included), but not a crash
 * of the machine, after which the environment may hold pages of a commit and miss others. A task state is a copy of
 * its changelog (ADR 0019), so such a disk is wiped and restored, as Kafka Streams does with an exactly-once task
 * after an unclean shutdown. This module tells the two apart by the kernel's boot id: a marker written when the
 * state opens names the boot, and says whether the environment was flushed since its last commit (a clean close).
 */

/** The marker beside the environment's files. */
const MARKER_FILE = 'unsynced-since-boot.json';

/** Where the kernel publishes the id of the current boot (Linux). */
const LINUX_BOOT_ID = '/proc/sys/kernel/random/boot_id';

const markerSchema = z.object({
  /** The boot during which the state was last opened for writing. */
  bootId: z.string(),
  /** True once a clean close flushed every commit of that boot to disk. */
  flushed: z.boolean(),
});

type Marker = z.infer<typeof markerSchema>;

/** The current boot's id, or undefined where the platform does not publish one (writes are then flushed). */
export function currentBootId(path = LINUX_BOOT_ID): string | undefined {
  try {
    const id = readFileSync(path, 'utf8').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

/**
 * Whether the state at `dir` may hold commits that never reached the disk before the machine restarted: it was
 * opened during another boot and not closed cleanly. A state without a marker was written by a version that flushed
 * every commit, or is new.
 */
export function lostUnflushedCommits(dir: string, bootId: string): boolean {
  const file = join(dir, MARKER_FILE);
  if (!existsSync(file)) return false;
  const marker = readMarker(file);
  // An unreadable marker says nothing of a flush: the state is treated as lost.
  return marker === undefined || (marker.bootId !== bootId && !marker.flushed);
}

/** Records that the state at `dir` takes unflushed commits during this boot (before the first one). */
export function markUnflushed(dir: string, bootId: string): void {
  writeMarker(dir, { bootId, flushed: false });
}

/** Records that every commit of the state at `dir` is on disk (after a flush, at a clean close). */
export function markFlushed(dir: string, bootId: string): void {
  writeMarker(dir, { bootId, flushed: true });
}

/** The marker in `file`, or undefined when it cannot be read as one. */
function readMarker(file: string): Marker | undefined {
  try {
    const parsed = markerSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces the marker atomically and durably: the marker itself must survive the crash it is about. */
function writeMarker(dir: string, marker: Marker): void {
  const file = join(dir, MARKER_FILE);
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, JSON.stringify(marker));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
