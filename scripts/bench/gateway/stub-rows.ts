/**
 * Answer lines of the gateway's two day-range statements (TabSeparatedRaw: key columns, then the row as JSON), for
 * the benches that stand a stub in for the warehouse endpoint (cpu.ts over HTTP, layers.ts in process).
 */

export const tokenAddress = (i: number): string => `0x${(i + 1).toString(16).padStart(40, '0')}`;

/** A finalized `token_metrics_daily` row's answer line. */
export function tokenLine(token: string, date: string): string {
  const row = {
    date,
    chain_id: '1',
    token_address: token,
    symbol: 'TKN',
    decimals: 18,
    volume_raw: '123456789012345678901234',
    volume_usd: '98765.123456789012345678',
    minted_raw: '0',
    burned_raw: '1000000000000000000',
    transfer_count: '1234',
    priced_transfer_count: '1200',
    tx_count: '1100',
    unique_addresses: '456',
    price_open: '1.0001',
    price_high: '1.0100',
    price_low: '0.9900',
    price_close: '1.0002',
    price_source: 'coingecko',
    price_staleness_ms: '60000',
    version: '1767225600000',
    is_final: true,
    emitted_at: `${date} 23:59:59.999`,
    inserted_at: `${date} 23:59:59.999`,
  };
  return `${token}\t${date}\t1767225600000\t${date} 23:59:59.999\t0\t${JSON.stringify(row)}`;
}

/** A finalized `address_flows_daily` row's answer line (one token per address). */
export function flowLine(address: string, date: string): string {
  const token = tokenAddress(7);
  const row = {
    date,
    chain_id: '1',
    address,
    token_address: token,
    symbol: 'TKN',
    inflow_raw: '123456789012345678901',
    outflow_raw: '23456789012345678901',
    net_flow_raw: '100000000000000000000',
    inflow_usd: '123.456789',
    outflow_usd: '23.456789',
    net_flow_usd: '100.000000',
    transfer_count: '12',
    tx_count: '11',
    counterparties_count: '5',
    version: '1767225600000',
    is_final: true,
    emitted_at: `${date} 23:59:59.999`,
    inserted_at: `${date} 23:59:59.999`,
  };
  return `${address}\t${date}\t${token}\t${JSON.stringify(row)}`;
}
