import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/**
 * The console is served by Enclave at /console from web/dist. No inline script or style is
 * emitted (the server's CSP forbids both): CSS goes to its own file, and the module preload
 * polyfill (an inline script in older Vite) is off.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/v1': 'http://127.0.0.1:8000',
      '/console/api': 'http://127.0.0.1:8000',
      '/readyz': 'http://127.0.0.1:8000',
      '/metrics': 'http://127.0.0.1:8000',
    },
  },
});
