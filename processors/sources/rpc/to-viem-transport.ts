import { custom, type CustomTransport } from 'viem';
import type { RpcClient } from './rpc-client.ts';

/**
 * The failover client as a viem transport, for viem actions the source does not wrap
 * (eth_call for token metadata, getCode...). viem's own retries are off: ours apply.
 * @example
 * const client = createPublicClient({ chain: mainnet, transport: toViemTransport(rpc) });
 */
export function toViemTransport(rpc: RpcClient): CustomTransport {
  return custom(
    {
      request: ({ method, params }: { method: string; params?: unknown }) =>
        rpc.request(method, params === undefined ? [] : Array.isArray(params) ? params : [params]),
    },
    { key: 'oracul', name: `Oracul failover (${rpc.chain})`, retryCount: 0 },
  );
}
