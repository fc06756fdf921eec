/**
 * Test fixture: opens a task state at argv[2] as boot argv[3], commits `a = 1` and `b = 2` with changelog offset 3,
 * and kills its own process with SIGKILL before closing (unsynced-state.test.ts: what a crash leaves on disk).
 */
import { encodeStateValue } from '../checkpoint-format.ts';
import { LmdbTaskState } from '../lmdbTaskState.ts';
import type { StateCodec } from '../types.ts';

const [dir, bootId] = process.argv.slice(2);
if (dir === undefined || bootId === undefined) throw new Error('usage: commit-then-kill.ts <dir> <boot id>');
const numbers: StateCodec<unknown> = { encode: (v) => v as number, decode: (p) => p };
const state = LmdbTaskState.open({ path: dir, stores: { counts: numbers }, bootId });
const delta = new Map([
  ['a', encodeStateValue(1)],
  ['b', encodeStateValue(2)],
]);
state.commit(new Map([['counts', delta]]), { offset: 3, checkpoints: new Map() });
process.kill(process.pid, 'SIGKILL');
