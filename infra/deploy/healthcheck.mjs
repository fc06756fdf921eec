#!/usr/bin/env node
// Container health check (Dockerfile HEALTHCHECK, compose): GETs the health endpoint of the Oracul command running in
// this container and exits 0 on HTTP 200. ORACUL_HEALTHCHECK_URL overrides; otherwise the command is read from
// /proc (the `oracul.mjs <command>` process) and mapped to its port: gateway → gateway.port /healthz, worker →
// metrics.workerPort /healthz, start → metrics.port /healthz (ports from the same ORACUL_* variables as the config).
/* global fetch, AbortSignal */
import { readdirSync, readFileSync } from 'node:fs';

const env = process.env;
const PORTS = {
  gateway: env.ORACUL_GATEWAY_PORT ?? '4000',
  worker: env.ORACUL_METRICS_WORKER_PORT ?? '9465',
  start: env.ORACUL_METRICS_PORT ?? '9464',
};

function runningCommand() {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let argv;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = argv.findIndex((a) => a.endsWith('oracul.mjs'));
    if (at !== -1 && argv[at + 1] in PORTS) return argv[at + 1];
  }
  return undefined;
}

const command = runningCommand();
const url = env.ORACUL_HEALTHCHECK_URL ?? (command ? `http://127.0.0.1:${PORTS[command]}/healthz` : undefined);
if (url === undefined) {
  // One-shot commands (migrate, topics ensure, backfill) have no endpoint: healthy while they run.
  process.exit(0);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  if (response.status !== 200) {
    console.error(`${url}: HTTP ${response.status}`);
    process.exit(1);
  }
} catch (error) {
  console.error(`${url}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
