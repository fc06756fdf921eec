import type { ChdbNative, NativeHandle } from './engine-binding.ts';

/** A native connection whose session already ran `preamble` (its USE/SET). */
export interface Lease {
  readonly connection: NativeHandle;
  readonly preamble: string;
  /** False when the preamble still has to run on it. */
  readonly prepared: boolean;
}

/**
 * Idle engine connections, kept by the preamble they ran. A request whose
 * preamble matches (the same user role, database and settings, as every query
 * of one @clickhouse/client instance has) skips opening a connection and
 * re-applying its settings. Only connections that served statements unable to
 * change session state come back here; anything else is closed.
 */
export class ConnectionPool {
  private readonly idle = new Map<string, NativeHandle[]>();
  private size = 0;

  constructor(
    private readonly native: ChdbNative,
    private readonly dataDir: string,
    private readonly maxIdle: number,
  ) {}

  acquire(preamble: string): Lease {
    const reusable = this.idle.get(preamble)?.pop();
    if (reusable !== undefined) {
      this.size -= 1;
      return { connection: reusable, preamble, prepared: true };
    }
    return { connection: this.native.CreateConnection(this.dataDir), preamble, prepared: false };
  }

  /** `reuse` only after a clean run of a statement that cannot alter the session. */
  release(lease: Lease, reuse: boolean): void {
    if (!reuse || this.maxIdle === 0) {
      this.native.CloseConnection(lease.connection);
      return;
    }
    if (this.size >= this.maxIdle) this.evictOne();
    const list = this.idle.get(lease.preamble) ?? [];
    list.push(lease.connection);
    this.idle.delete(lease.preamble); // re-insert: Map order doubles as least-recently-used order
    this.idle.set(lease.preamble, list);
    this.size += 1;
  }

  closeAll(): void {
    for (const list of this.idle.values()) for (const connection of list) this.native.CloseConnection(connection);
    this.idle.clear();
    this.size = 0;
  }

  private evictOne(): void {
    for (const [preamble, list] of this.idle) {
      const connection = list.shift();
      if (list.length === 0) this.idle.delete(preamble);
      if (connection !== undefined) {
        this.native.CloseConnection(connection);
        this.size -= 1;
        return;
      }
    }
  }
}
