/**
 * A preload (`node --import ./test/helpers/module-probe.mjs src/cli/main.ts serve`) that records
 * every module the process loads, through a synchronous resolve hook. The parent asks over the IPC
 * channel (spawn with an `ipc` stdio entry) and gets back the process's memory and the packages
 * loaded so far; the server itself is not changed and serves no debug endpoint. Plain JavaScript,
 * so that probing the built server (dist/) does not load Node's TypeScript stripper by itself.
 * Its answer is a `ProbeReport` (probe-report.ts).
 */
import { registerHooks } from 'node:module';

/** @type {Set<string>} */
const loaded = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    loaded.add(result.url);
    return result;
  },
});

/**
 * The package a `file:` URL under node_modules belongs to (the innermost one), or null.
 * @param {string} url
 * @returns {string | null}
 */
function packageOf(url) {
  const at = url.lastIndexOf('/node_modules/');
  if (at < 0) return null;
  const [first, second] = url.slice(at + '/node_modules/'.length).split('/');
  if (!first) return null;
  return first.startsWith('@') && second ? `${first}/${second}` : first;
}

if (process.send) {
  process.on('message', (message) => {
    if (message !== 'probe') return;
    const memory = process.memoryUsage();
    const packages = new Set();
    for (const url of loaded) {
      const name = packageOf(url);
      if (name) packages.add(name);
    }
    const report = {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      modules: loaded.size,
      packages: [...packages].sort(),
    };
    process.send?.(report);
  });
  // The IPC channel must not keep a server that is asked to stop alive.
  process.channel?.unref();
}
