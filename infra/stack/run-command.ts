import { spawn } from 'node:child_process';
import { NonRetryableError, type ErrorCode } from '../../core/errors.ts';
import { lastLines } from './log-tail.ts';

export interface RunCommandParameters {
  command: string;
  args: readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Error code when the command fails, e.g. ORACUL_STACK_INSTALL_FAILED. */
  errorCode: ErrorCode;
  /** What the command does, for the error message ("resolve Kafka 3.9.1 with mvn"). */
  purpose: string;
  /** Shown when the binary itself is missing. */
  missingHint?: string;
}

/**
 * Runs a short-lived tool (mvn, tar, the Kafka storage formatter) to completion.
 * Output is kept in memory, bounded, and only surfaces in the error on failure.
 */
export function runCommand(p: RunCommandParameters): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(p.command, [...p.args], {
      cwd: p.cwd,
      env: p.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: p.signal,
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-32_768);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'ENOENT' && p.missingHint ? ` (${p.missingHint})` : '';
      reject(
        new NonRetryableError(p.errorCode, `could not ${p.purpose}: ${error.message}${hint}`, {
          cause: error,
          details: { command: p.command },
        }),
      );
    });
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const tail = lastLines(output, 40).join('\n');
      reject(
        new NonRetryableError(p.errorCode, `could not ${p.purpose}: ${p.command} exited with ${code ?? signal}\n${tail}`, {
          details: { command: p.command, args: p.args, exit_code: code, output_tail: tail },
        }),
      );
    });
  });
}
