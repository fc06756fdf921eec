// A supervised child for scripts/platform/worker-supervisor.test.ts: `crash <ms>` exits 3 after ms; `serve` runs until
// SIGTERM (exit 0) or until the parent's IPC channel closes (exit 0), writing its pid to the file given as argv[3].
import { writeFileSync } from 'node:fs';
import { clearInterval, setInterval, setTimeout } from 'node:timers';

const [mode, arg] = process.argv.slice(2);
if (mode === 'crash') {
  setTimeout(() => process.exit(3), Number(arg));
} else {
  const keepAlive = setInterval(() => undefined, 1000);
  const stop = () => {
    clearInterval(keepAlive);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.once('disconnect', stop);
  // The pid file tells the test the child is ready for SIGTERM: written only once the handler is installed (a
  // SIGTERM before it would kill the child by signal, not exit 0, as happened once on a loaded machine).
  if (arg !== undefined) writeFileSync(arg, String(process.pid));
}
