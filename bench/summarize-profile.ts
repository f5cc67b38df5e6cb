/** The parts of a V8 `.cpuprofile` (as `--cpu-prof` writes it) that the summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
}

export interface ProfileRow {
  name: string;
  /** Share of all samples, 0..1. */
  share: number;
}

export interface ProfileSummary {
  samples: number;
  byPackage: ProfileRow[];
  bySelf: ProfileRow[];
  /** Our own functions (under src/), with everything they call. */
  ownInclusive: ProfileRow[];
}

/**
 * Self time by package (a node_modules package, a `node:` module, a folder of src/, or V8's own
 * entries such as the garbage collector), the top functions by self time, and the inclusive time
 * of the functions under `root`/src.
 */
export function summarizeProfile(profile: CpuProfile, root: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const rootUrl = `file://${root.endsWith('/') ? root : `${root}/`}`;
  const nameOf = (id: number) => {
    const { functionName, url, lineNumber } = (byId.get(id) as CpuProfile['nodes'][number]).callFrame;
    return `${functionName || '(anonymous)'} ${url.replace(rootUrl, '')}:${lineNumber + 1}`;
  };
  const packageOf = (id: number) => {
    const { functionName, url } = (byId.get(id) as CpuProfile['nodes'][number]).callFrame;
    if (url.includes('node_modules/')) {
      const parts = (url.split('node_modules/').at(-1) as string).split('/');
      return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
    }
    if (url.startsWith(`${rootUrl}src/`)) return `src/${url.slice(rootUrl.length + 4).split('/')[0]}`;
    return url || functionName || '(native)';
  };
  const counts = new Map<number, number>();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const total = profile.samples.length || 1;
  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, count: number) => map.set(key, (map.get(key) ?? 0) + count);
  for (const [id, count] of counts) {
    add(self, nameOf(id), count);
    add(packages, packageOf(id), count);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const name = nameOf(at);
      if (name.includes(' src/') && !seen.has(name)) {
        seen.add(name);
        add(inclusive, name, count);
      }
    }
  }
  const rows = (map: Map<string, number>) =>
    [...map].map(([name, count]) => ({ name, share: count / total })).sort((a, b) => b.share - a.share);
  return { samples: total, byPackage: rows(packages), bySelf: rows(self), ownInclusive: rows(inclusive) };
}
