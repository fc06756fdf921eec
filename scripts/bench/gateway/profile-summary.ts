/**
 * Self and inclusive time by function, and self time by package, of a V8 CPU profile (`node --cpu-prof`): the split
 * of the gateway's CPU that docs/performance.md quotes.
 *
 *   npx tsx scripts/bench/gateway/profile-summary.ts <file.cpuprofile> [--top 30]
 */
import { readFileSync } from 'node:fs';
import { numberArg } from '../args.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const TOP = numberArg('top', 30);
const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

const label = (n: ProfileNode): string => {
  const url = n.callFrame.url.replace(/^.*\/work\/main\//, '').replace(/^file:\/\//, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
const packageOf = (n: ProfileNode): string => {
  const url = n.callFrame.url;
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  if (url === '') return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  return url
    .replace(/^.*\/work\/main\//, '')
    .split('/')
    .slice(0, 2)
    .join('/');
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const packages = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  self.set(label(node), (self.get(label(node)) ?? 0) + us);
  packages.set(packageOf(node), (packages.get(packageOf(node)) ?? 0) + us);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const l = label(byId.get(at)!);
    if (!seen.has(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + us);
    seen.add(l);
  }
}

const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${name}`);
  }
};
console.log(`total ${(totalUs / 1e6).toFixed(2)} s sampled`);
print('self, by package', packages);
print('self, by function', self);
print('inclusive, by function', inclusive);
