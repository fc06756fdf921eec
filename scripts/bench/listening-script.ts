import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * `node --import tsx <script> <args>` in its own process, for a helper that serves the bench over HTTP (the replay
 * server, the gateway proxy): resolves once its first stdout line, `{"url": …}`, says where it listens.
 */
export async function spawnListeningScript(
  script: string,
  args: readonly string[],
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, child };
}
