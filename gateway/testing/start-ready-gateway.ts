import { expect, vi } from 'vitest';
import { startGateway, type Gateway, type StartGatewayParameters } from '../server.ts';

/**
 * Starts a gateway and resolves once its /readyz answers 200; fails the caller (a beforeAll) when it does not within
 * a minute, instead of running every test against a gateway that never became ready.
 */
export async function startReadyGateway(params: StartGatewayParameters): Promise<Gateway> {
  const gateway = await startGateway(params);
  await vi.waitFor(async () => expect((await fetch(`${gateway.origin}/readyz`)).status).toBe(200), {
    timeout: 60_000,
    interval: 250,
  });
  return gateway;
}
