// Builds the server for `npm start` (and the container image): src/ → dist/, our TypeScript
// modules bundled into plain JavaScript (the packages stay in node_modules, imported as they are).
// The server then starts without Node's TypeScript stripper and without 200 module records of its
// own: about 40 MiB less RSS at idle (docs/operations.md, "Idle memory"). Lazy `import()`s stay lazy
// (each becomes a chunk). The output is flat in dist/, one level below the root like src/, so paths
// relative to a module (`../web/dist`) resolve the same. Tests, the CLI binary and the benches that
// compare commits run the sources directly. Takes well under a second; `npm start` runs it first.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
if (!existsSync(join(root, 'node_modules', 'rolldown'))) {
  console.log('enclave: rolldown is not installed (production install); run the sources: node src/cli/main.ts serve');
  process.exit(0);
}
const { build } = await import('rolldown');
rmSync(out, { recursive: true, force: true });
await build({
  cwd: root,
  input: { enclave: join(root, 'src', 'cli', 'main.ts') },
  platform: 'node',
  // Every bare specifier (a package or a node: builtin) stays an import: only our sources are bundled.
  external: [/^[^./]/],
  logLevel: 'warn',
  output: { dir: out, format: 'esm', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs' },
});
