// Builds the web console (web/ → web/dist) as part of `npm ci` / `npm install` (the `prepare`
// script), so that `npm ci && npm start` serves /console on a fresh clone. Skips, with a message,
// when Vite is not installed (`npm ci --omit=dev`, as in the Dockerfile's production stage, which
// copies a console built in its own stage) or when there is no web/ folder. A failed build fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
if (!existsSync(join(root, 'web', 'index.html'))) {
  console.log('enclave: no web/ console sources; skipping the console build');
  process.exit(0);
}
if (!existsSync(vite)) {
  console.log('enclave: Vite is not installed (production install); skipping the console build.');
  console.log(
    'enclave: /console answers 503 CONSOLE_NOT_BUILT until `npm run build:console` runs with dev dependencies.',
  );
  process.exit(0);
}
const result = spawnSync(process.execPath, [vite, 'build', 'web', '--logLevel', 'warn'], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) {
  console.error('enclave: the console build failed (npm run build:console)');
  process.exit(result.status ?? 1);
}
console.log('enclave: console built in web/dist (served at /console)');
