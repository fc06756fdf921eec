// A supervisor in its own process, for the orphan test: forks one `serve` child, then waits to be killed.
import { createLogger } from '../../../core/logger.ts';
import { ProcessSupervisor } from '../worker-supervisor.ts';

const [fixture, pidFile] = process.argv.slice(2) as [string, string];
const supervisor = new ProcessSupervisor({ logger: createLogger({ level: 'silent' }), modulePath: fixture });
supervisor.start({ name: 'child', args: ['serve', pidFile] });
setInterval(() => undefined, 1000);
