/**
 * The devnet's first-run anomalies, without the devnet: the planted history replayed through the stream's scorers
 * (scripts/eval/devnet/replay.ts) for `--alignments` consecutive "now" days (the launch day's weekday changes with
 * the start date, and with it which baseline the launch lands in).
 *
 *   npx tsx scripts/eval/devnet.ts [--now 2025-06-04T12:00:00Z] [--alignments 7]
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load.ts';
import { scoringParamsFromConfig } from '../../processors/anomalies/scoring/params.ts';
import { replayDevnet, summarizeReplay } from './devnet/replay.ts';
import { DAY_MS } from '../../core/time.ts';

const { values: args } = parseArgs({
  options: { now: { type: 'string', default: '2025-06-04T12:00:00Z' }, alignments: { type: 'string', default: '7' } },
});
const config = loadConfig();
const params = { tokens: scoringParamsFromConfig(config, 'tokens'), addresses: scoringParamsFromConfig(config, 'addresses') };
const start = Date.parse(args.now);
console.log(
  'launch day  | token addr | first scored day: token addr high | high addr | spike tc / vol | whale | hourly: all high off-planted',
);
for (let i = 0; i < Number(args.alignments); i++) {
  const s = summarizeReplay(replayDevnet(start + i * DAY_MS, params));
  console.log(
    `${s.launchDay} | ${String(s.token).padStart(5)} ${String(s.address).padStart(4)} | ${String(s.firstDay.token).padStart(
      21,
    )} ${String(s.firstDay.address).padStart(4)} ${String(s.firstDay.high).padStart(4)} | ${String(s.highAddress).padStart(
      9,
    )} | ${s.spikeTransferCount} / ${s.spikeVolume} | ${s.whaleOutflow} | ${s.hourly.all} ${s.hourly.high} ${s.hourly.highOffPlanted}`,
  );
}
